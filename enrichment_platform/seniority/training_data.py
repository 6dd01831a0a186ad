"""Deterministic generator of the labeled job-title set the seniority model is trained on.

Titles are composed from job families (roles, departments, family-specific titles) and level patterns that
follow the SPEC's seniority scale, then dressed with the noise real postings carry (abbreviations,
Roman numerals, departments and locations after dashes, brackets, casing, German/French/Spanish titles).
"""

from __future__ import annotations

import csv
import io
import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TRAINING_DATA_PATH = REPO_ROOT / "resources" / "training" / "seniority_titles.csv"
SEED = 20240717
CSV_COLUMNS = ("title", "seniority", "family")

LEVEL_NAMES = {
    1: "Entry",
    2: "Junior",
    3: "Associate",
    4: "Manager",
    5: "Director",
    6: "Executive",
    7: "Senior Executive",
}

# Distinct titles drawn per level; level 7 has the fewest real variants, so it gets the fewest rows.
TITLES_PER_LEVEL = {1: 1700, 2: 2100, 3: 2300, 4: 1900, 5: 1700, 6: 1600, 7: 900}

# The SPEC's own examples of the scale, always present with exactly these labels.
SPEC_EXAMPLES: tuple[tuple[str, int, str], ...] = (
    ("Accounting Intern", 1, "accounting"),
    ("Software Engineer Trainee", 1, "software_engineering"),
    ("Paralegal", 1, "legal"),
    ("Accounts Receivable Bookkeeper", 2, "accounting"),
    ("Junior Software QA Engineer", 2, "quality_assurance"),
    ("Legal Adviser", 2, "legal"),
    ("Senior Tax Accountant", 3, "tax"),
    ("Lead Electrical Engineer", 3, "electrical_engineering"),
    ("Attorney", 3, "legal"),
    ("Account Manager", 4, "sales"),
    ("Superintendent Engineer", 4, "marine_engineering"),
    ("Lead Lawyer", 4, "legal"),
    ("Chief of Accountants", 5, "accounting"),
    ("VP Network Engineering", 5, "network_engineering"),
    ("Head of Legal", 5, "legal"),
    ("Managing Director, Treasury", 6, "treasury"),
    ("Managing Director", 6, "general_management"),
    ("Director of Engineering, Backend Systems", 6, "software_engineering"),
    ("Attorney, Partner", 6, "legal"),
    ("CFO", 7, "finance"),
    ("COO", 7, "operations"),
    ("CEO", 7, "general_management"),
)

Role = tuple[str, int]  # (title of the bare role, level of the bare title)


@dataclass(frozen=True)
class Translation:
    """A family's roles and departments in one non-English language."""

    roles: tuple[Role, ...]
    departments: tuple[str, ...]


@dataclass(frozen=True)
class Family:
    """A job family: individual-contributor roles, the departments its managers lead, and its own titles."""

    name: str
    roles: tuple[Role, ...]
    departments: tuple[str, ...]
    extra: dict[int, tuple[str, ...]] = field(default_factory=dict)
    lead_level: int = 3  # legal counts "Lead Lawyer" as a manager (SPEC), everyone else as associate
    staff_titles: bool = False  # "Staff"/"Principal" engineer ladders exist only in technical families
    translations: dict[str, Translation] = field(default_factory=dict)


FAMILIES: tuple[Family, ...] = (
    Family(
        "software_engineering",
        (
            ("Software Engineer", 2),
            ("Software Developer", 2),
            ("Backend Engineer", 2),
            ("Frontend Developer", 2),
            ("Full Stack Developer", 2),
            ("Mobile Developer", 2),
            ("iOS Engineer", 2),
            ("Android Developer", 2),
            ("Java Developer", 2),
            ("Python Developer", 2),
            ("Embedded Software Engineer", 2),
            ("Software Architect", 3),
            (".NET Developer", 2),
            ("Web Developer", 2),
            ("Game Developer", 2),
        ),
        (
            "Engineering",
            "Software Engineering",
            "Software Development",
            "Platform Engineering",
            "Mobile Engineering",
            "Backend Engineering",
        ),
        {
            3: ("Tech Lead", "Technical Lead"),
            4: ("Engineering Manager", "Software Development Manager"),
            7: ("CTO", "Chief Technology Officer", "Co-Founder & CTO"),
        },
        staff_titles=True,
        translations={
            "de": Translation(
                (
                    ("Softwareentwickler", 2),
                    ("Softwareingenieur", 2),
                    ("Java Entwickler", 2),
                    ("Webentwickler", 2),
                ),
                ("Softwareentwicklung", "IT", "Entwicklung"),
            ),
            "fr": Translation(
                (
                    ("Ingénieur logiciel", 2),
                    ("Développeur", 2),
                    ("Développeur Full Stack", 2),
                    ("Développeur Web", 2),
                ),
                ("Développement Logiciel", "Informatique", "Ingénierie"),
            ),
            "es": Translation(
                (
                    ("Ingeniero de Software", 2),
                    ("Desarrollador", 2),
                    ("Programador", 2),
                    ("Desarrollador Web", 2),
                ),
                ("Desarrollo de Software", "Tecnología", "Ingeniería"),
            ),
        },
    ),
    Family(
        "data_engineering",
        (
            ("Data Engineer", 2),
            ("ETL Developer", 2),
            ("Big Data Engineer", 2),
            ("Analytics Engineer", 2),
            ("Data Platform Engineer", 2),
            ("Data Warehouse Developer", 2),
            ("Database Administrator", 2),
        ),
        ("Data Engineering", "Data Platform", "Data Infrastructure", "Data Warehousing"),
        staff_titles=True,
    ),
    Family(
        "data_science",
        (
            ("Data Scientist", 2),
            ("Machine Learning Engineer", 2),
            ("Data Analyst", 2),
            ("BI Analyst", 2),
            ("Research Scientist", 3),
            ("Statistician", 2),
            ("Business Intelligence Developer", 2),
            ("AI Engineer", 2),
        ),
        ("Data Science", "Analytics", "Machine Learning", "AI", "Business Intelligence", "Data"),
        {7: ("CDO", "Chief Data Officer", "Chief Analytics Officer")},
        staff_titles=True,
        translations={
            "de": Translation((("Data Scientist", 2), ("Datenanalyst", 2)), ("Data Science", "Datenanalyse")),
            "fr": Translation(
                (("Analyste de données", 2), ("Data Scientist", 2)), ("Data", "Analyse de Données")
            ),
            "es": Translation((("Analista de Datos", 2), ("Científico de Datos", 2)), ("Datos", "Analítica")),
        },
    ),
    Family(
        "quality_assurance",
        (
            ("QA Engineer", 2),
            ("Software QA Engineer", 2),
            ("Test Engineer", 2),
            ("QA Analyst", 2),
            ("Test Automation Engineer", 2),
            ("Quality Assurance Tester", 2),
            ("Software Tester", 2),
            ("SDET", 2),
        ),
        ("Quality Assurance", "QA", "Testing", "Quality Engineering", "Test Automation"),
        staff_titles=True,
    ),
    Family(
        "devops",
        (
            ("DevOps Engineer", 2),
            ("Site Reliability Engineer", 2),
            ("Cloud Engineer", 2),
            ("Systems Engineer", 2),
            ("Infrastructure Engineer", 2),
            ("Platform Engineer", 2),
            ("Release Engineer", 2),
            ("Cloud Architect", 3),
        ),
        (
            "DevOps",
            "Infrastructure",
            "Cloud Infrastructure",
            "Site Reliability Engineering",
            "Cloud Operations",
        ),
        staff_titles=True,
    ),
    Family(
        "network_engineering",
        (
            ("Network Engineer", 2),
            ("Network Administrator", 2),
            ("Network Technician", 2),
            ("Telecommunications Engineer", 2),
            ("Network Architect", 3),
            ("Network Analyst", 2),
            ("VoIP Engineer", 2),
        ),
        ("Network Engineering", "Networking", "Network Operations", "Telecommunications", "Network Services"),
        staff_titles=True,
    ),
    Family(
        "security",
        (
            ("Security Engineer", 2),
            ("Security Analyst", 2),
            ("Cybersecurity Analyst", 2),
            ("Penetration Tester", 2),
            ("SOC Analyst", 2),
            ("Security Architect", 3),
            ("Information Security Analyst", 2),
            ("Incident Responder", 2),
        ),
        ("Information Security", "Cybersecurity", "Security Operations", "Security Engineering", "Security"),
        {7: ("CISO", "Chief Information Security Officer", "Chief Security Officer")},
        staff_titles=True,
    ),
    Family(
        "it_support",
        (
            ("IT Support Specialist", 2),
            ("Help Desk Technician", 2),
            ("Desktop Support Technician", 2),
            ("System Administrator", 2),
            ("IT Technician", 2),
            ("Service Desk Analyst", 2),
            ("IT Support Analyst", 2),
            ("Field Service Technician", 2),
        ),
        ("IT", "IT Support", "IT Operations", "Information Technology", "End User Services", "Service Desk"),
        {7: ("CIO", "Chief Information Officer")},
    ),
    Family(
        "product_management",
        (
            ("Product Analyst", 2),
            ("Product Owner", 3),
            ("Business Analyst", 2),
            ("Product Specialist", 2),
            ("Product Operations Analyst", 2),
        ),
        ("Product", "Product Management", "Product Strategy", "Product Operations"),
        {
            2: ("Associate Product Manager",),
            4: (
                "Product Manager",
                "Senior Product Manager",
                "Technical Product Manager",
                "Group Product Manager",
                "Digital Product Manager",
            ),
            7: ("CPO", "Chief Product Officer"),
        },
    ),
    Family(
        "design",
        (
            ("UX Designer", 2),
            ("UI Designer", 2),
            ("Product Designer", 2),
            ("Graphic Designer", 2),
            ("UX Researcher", 2),
            ("Visual Designer", 2),
            ("Interaction Designer", 2),
            ("Motion Designer", 2),
        ),
        ("Design", "User Experience", "UX", "Creative", "Brand Design", "Product Design"),
        {7: ("Chief Design Officer", "Chief Creative Officer")},
    ),
    Family(
        "accounting",
        (
            ("Accountant", 2),
            ("Staff Accountant", 2),
            ("Accounts Payable Specialist", 2),
            ("Accounts Receivable Bookkeeper", 2),
            ("Bookkeeper", 2),
            ("Payroll Accountant", 2),
            ("Cost Accountant", 2),
            ("General Ledger Accountant", 2),
            ("Accounting Clerk", 1),
            ("Billing Clerk", 1),
            ("Accounts Payable Clerk", 1),
            ("Fund Accountant", 2),
            ("Chartered Accountant", 3),
        ),
        ("Accounting", "Accounts Payable", "Accounts Receivable", "General Ledger", "Payroll"),
        {5: ("Chief of Accountants", "Chief Accountant", "Head Accountant")},
        translations={
            "de": Translation(
                (("Buchhalter", 2), ("Bilanzbuchhalter", 3), ("Lohnbuchhalter", 2)),
                ("Rechnungswesen", "Buchhaltung"),
            ),
            "fr": Translation(
                (("Comptable", 2), ("Aide-comptable", 1), ("Comptable fournisseurs", 2)), ("Comptabilité",)
            ),
            "es": Translation(
                (("Contador", 2), ("Contable", 2), ("Auxiliar Contable", 1)), ("Contabilidad",)
            ),
        },
    ),
    Family(
        "finance",
        (
            ("Financial Analyst", 2),
            ("FP&A Analyst", 2),
            ("Finance Analyst", 2),
            ("Budget Analyst", 2),
            ("Credit Analyst", 2),
            ("Finance Associate", 2),
            ("Pricing Analyst", 2),
        ),
        ("Finance", "FP&A", "Financial Planning and Analysis", "Corporate Finance", "Financial Reporting"),
        {7: ("CFO", "Chief Financial Officer", "Group CFO", "Interim CFO")},
        translations={
            "de": Translation((("Controller", 2), ("Finanzanalyst", 2)), ("Finanzen", "Controlling")),
            "fr": Translation(
                (("Contrôleur de Gestion", 2), ("Analyste Financier", 2)), ("Finance", "Contrôle de Gestion")
            ),
            "es": Translation(
                (("Analista Financiero", 2), ("Controller Financiero", 2)),
                ("Finanzas", "Administración y Finanzas"),
            ),
        },
    ),
    Family(
        "treasury",
        (
            ("Treasury Analyst", 2),
            ("Cash Management Analyst", 2),
            ("Treasury Accountant", 2),
            ("Treasury Specialist", 2),
            ("Liquidity Analyst", 2),
        ),
        ("Treasury", "Cash Management", "Corporate Treasury", "Treasury Operations"),
    ),
    Family(
        "tax",
        (
            ("Tax Accountant", 2),
            ("Tax Analyst", 2),
            ("Tax Specialist", 2),
            ("Tax Advisor", 2),
            ("Tax Consultant", 2),
            ("Tax Preparer", 2),
            ("Transfer Pricing Analyst", 2),
        ),
        ("Tax", "Taxation", "Indirect Tax", "International Tax", "Tax Compliance"),
    ),
    Family(
        "audit",
        (
            ("Auditor", 2),
            ("Internal Auditor", 2),
            ("External Auditor", 2),
            ("IT Auditor", 2),
            ("Audit Associate", 2),
            ("Audit Analyst", 2),
        ),
        ("Internal Audit", "Audit", "Audit and Assurance", "Assurance"),
        {7: ("Chief Audit Executive",)},
    ),
    Family(
        "legal",
        (
            ("Attorney", 3),
            ("Lawyer", 3),
            ("Counsel", 3),
            ("Corporate Counsel", 3),
            ("Legal Counsel", 3),
            ("Solicitor", 3),
            ("Litigation Attorney", 3),
            ("Legal Adviser", 2),
            ("Legal Advisor", 2),
            ("Paralegal", 1),
            ("Legal Assistant", 1),
            ("Contracts Administrator", 2),
        ),
        ("Legal", "Legal Affairs", "Litigation", "Corporate Legal", "Intellectual Property", "Contracts"),
        {
            5: ("Deputy General Counsel", "Associate General Counsel"),
            6: (
                "Partner",
                "Equity Partner",
                "Attorney, Partner",
                "Lawyer, Partner",
                "Partner, Litigation",
                "General Counsel",
                "Salaried Partner",
            ),
            7: ("Chief Legal Officer", "Managing Partner", "CLO"),
        },
        lead_level=4,
        translations={
            "de": Translation(
                (("Rechtsanwalt", 3), ("Syndikusrechtsanwalt", 3), ("Rechtsanwaltsfachangestellter", 1)),
                ("Recht", "Rechtsabteilung"),
            ),
            "fr": Translation((("Juriste", 2), ("Avocat", 3), ("Assistant Juridique", 1)), ("Juridique",)),
            "es": Translation(
                (("Abogado", 3), ("Asesor Jurídico", 2), ("Asistente Legal", 1)),
                ("Asesoría Jurídica", "Legal"),
            ),
        },
    ),
    Family(
        "compliance",
        (
            ("Compliance Analyst", 2),
            ("Compliance Officer", 2),
            ("Compliance Specialist", 2),
            ("AML Analyst", 2),
            ("KYC Analyst", 2),
            ("Risk Analyst", 2),
            ("Regulatory Affairs Specialist", 2),
        ),
        ("Compliance", "Regulatory Compliance", "Risk and Compliance", "Financial Crime", "Risk Management"),
        {7: ("Chief Compliance Officer", "Chief Risk Officer")},
    ),
    Family(
        "human_resources",
        (
            ("HR Generalist", 2),
            ("HR Specialist", 2),
            ("HR Business Partner", 3),
            ("HR Coordinator", 2),
            ("Compensation Analyst", 2),
            ("Benefits Specialist", 2),
            ("HR Assistant", 2),
            ("Payroll Specialist", 2),
            ("People Partner", 3),
        ),
        (
            "Human Resources",
            "HR",
            "People",
            "People Operations",
            "Total Rewards",
            "Compensation and Benefits",
        ),
        {7: ("CHRO", "Chief Human Resources Officer", "Chief People Officer")},
        translations={
            "de": Translation(
                (("Personalreferent", 2), ("HR Generalist", 2), ("Personalsachbearbeiter", 2)),
                ("Personal", "Personalwesen", "HR"),
            ),
            "fr": Translation(
                (("Chargé de Recrutement", 2), ("Gestionnaire RH", 2), ("Assistant RH", 1)),
                ("Ressources Humaines", "RH"),
            ),
            "es": Translation(
                (("Técnico de Recursos Humanos", 2), ("Reclutador", 2), ("Asistente de RRHH", 1)),
                ("Recursos Humanos", "RRHH"),
            ),
        },
    ),
    Family(
        "recruiting",
        (
            ("Recruiter", 2),
            ("Technical Recruiter", 2),
            ("Talent Acquisition Specialist", 2),
            ("Sourcer", 2),
            ("Recruiting Coordinator", 2),
            ("Talent Acquisition Partner", 2),
            ("Executive Recruiter", 2),
        ),
        ("Talent Acquisition", "Recruiting", "Recruitment", "Talent"),
    ),
    Family(
        "sales",
        (
            ("Sales Representative", 2),
            ("Sales Associate", 2),
            ("Account Executive", 2),
            ("Inside Sales Representative", 2),
            ("Business Development Representative", 2),
            ("Sales Development Representative", 2),
            ("Sales Engineer", 2),
            ("Sales Consultant", 2),
            ("Outside Sales Representative", 2),
        ),
        ("Sales", "Inside Sales", "Enterprise Sales", "Business Development", "Channel Sales", "Field Sales"),
        {
            4: (
                "Account Manager",
                "Key Account Manager",
                "Senior Account Manager",
                "Territory Manager",
                "Regional Sales Manager",
                "Area Sales Manager",
                "National Account Manager",
            ),
            7: ("Chief Revenue Officer", "Chief Sales Officer", "CRO"),
        },
        translations={
            "de": Translation(
                (("Vertriebsmitarbeiter", 2), ("Außendienstmitarbeiter", 2), ("Verkäufer", 2)),
                ("Vertrieb", "Verkauf"),
            ),
            "fr": Translation(
                (("Commercial", 2), ("Chargé d'Affaires", 2), ("Vendeur", 2)), ("Ventes", "Commercial")
            ),
            "es": Translation(
                (("Vendedor", 2), ("Ejecutivo de Ventas", 2), ("Asesor Comercial", 2)),
                ("Ventas", "Comercial"),
            ),
        },
    ),
    Family(
        "customer_success",
        (
            ("Customer Success Specialist", 2),
            ("Customer Success Associate", 2),
            ("Client Services Representative", 2),
            ("Implementation Specialist", 2),
            ("Onboarding Specialist", 2),
            ("Renewals Specialist", 2),
        ),
        ("Customer Success", "Client Services", "Account Management", "Client Relations"),
        {
            4: (
                "Customer Success Manager",
                "Client Manager",
                "Relationship Manager",
                "Client Relationship Manager",
            ),
            7: ("Chief Customer Officer",),
        },
    ),
    Family(
        "marketing",
        (
            ("Marketing Specialist", 2),
            ("Marketing Coordinator", 2),
            ("Digital Marketing Specialist", 2),
            ("SEO Specialist", 2),
            ("Content Marketer", 2),
            ("Marketing Analyst", 2),
            ("Social Media Specialist", 2),
            ("Growth Marketer", 2),
            ("Performance Marketing Specialist", 2),
        ),
        ("Marketing", "Digital Marketing", "Growth", "Brand", "Demand Generation", "Product Marketing"),
        {
            4: ("Brand Manager", "Product Marketing Manager", "Campaign Manager", "Social Media Manager"),
            7: ("CMO", "Chief Marketing Officer"),
        },
        translations={
            "de": Translation((("Marketingreferent", 2), ("Online-Marketing Spezialist", 2)), ("Marketing",)),
            "fr": Translation(
                (("Chargé de Marketing", 2), ("Chargé de Communication", 2)), ("Marketing", "Communication")
            ),
            "es": Translation(
                (("Especialista en Marketing", 2), ("Analista de Marketing", 2)),
                ("Marketing", "Mercadotecnia"),
            ),
        },
    ),
    Family(
        "communications",
        (
            ("Communications Specialist", 2),
            ("PR Specialist", 2),
            ("Public Relations Coordinator", 2),
            ("Copywriter", 2),
            ("Communications Officer", 2),
            ("Press Officer", 2),
            ("Speechwriter", 2),
        ),
        (
            "Communications",
            "Corporate Communications",
            "Public Relations",
            "Internal Communications",
            "Investor Relations",
        ),
        {7: ("Chief Communications Officer",)},
    ),
    Family(
        "customer_support",
        (
            ("Customer Service Representative", 2),
            ("Customer Support Agent", 2),
            ("Call Center Agent", 2),
            ("Support Specialist", 2),
            ("Technical Support Engineer", 2),
            ("Customer Care Associate", 2),
            ("Customer Service Advisor", 2),
        ),
        ("Customer Support", "Customer Service", "Customer Care", "Technical Support", "Contact Center"),
        translations={
            "de": Translation((("Kundenberater", 2), ("Kundenservicemitarbeiter", 2)), ("Kundenservice",)),
            "fr": Translation((("Conseiller Clientèle", 2), ("Chargé de Clientèle", 2)), ("Service Client",)),
            "es": Translation(
                (("Agente de Atención al Cliente", 2), ("Teleoperador", 2)), ("Atención al Cliente",)
            ),
        },
    ),
    Family(
        "operations",
        (
            ("Operations Analyst", 2),
            ("Operations Specialist", 2),
            ("Operations Coordinator", 2),
            ("Business Operations Associate", 2),
            ("Process Improvement Specialist", 2),
            ("Operations Associate", 2),
        ),
        (
            "Operations",
            "Business Operations",
            "Strategy and Operations",
            "Global Operations",
            "Revenue Operations",
        ),
        {7: ("COO", "Chief Operating Officer")},
        translations={
            "de": Translation((("Sachbearbeiter", 2), ("Prozessmanager", 3)), ("Betrieb", "Operations")),
            "fr": Translation((("Chargé d'Opérations", 2), ("Analyste Opérations", 2)), ("Opérations",)),
            "es": Translation(
                (("Analista de Operaciones", 2), ("Técnico de Operaciones", 2)), ("Operaciones",)
            ),
        },
    ),
    Family(
        "supply_chain",
        (
            ("Supply Chain Analyst", 2),
            ("Logistics Coordinator", 2),
            ("Warehouse Associate", 1),
            ("Inventory Specialist", 2),
            ("Demand Planner", 2),
            ("Forklift Operator", 2),
            ("Picker Packer", 1),
            ("Shipping Clerk", 1),
            ("Logistics Analyst", 2),
        ),
        ("Supply Chain", "Logistics", "Warehouse", "Distribution", "Inventory Control", "Fulfillment"),
        {7: ("Chief Supply Chain Officer",)},
        translations={
            "de": Translation((("Lagerist", 2), ("Disponent", 2), ("Lagerhelfer", 1)), ("Logistik", "Lager")),
            "fr": Translation(
                (("Préparateur de Commandes", 1), ("Logisticien", 2), ("Cariste", 2)),
                ("Logistique", "Entrepôt"),
            ),
            "es": Translation(
                (("Mozo de Almacén", 1), ("Técnico de Logística", 2), ("Carretillero", 2)),
                ("Logística", "Almacén"),
            ),
        },
    ),
    Family(
        "procurement",
        (
            ("Buyer", 2),
            ("Purchasing Agent", 2),
            ("Procurement Specialist", 2),
            ("Category Analyst", 2),
            ("Sourcing Specialist", 2),
            ("Procurement Analyst", 2),
        ),
        ("Procurement", "Purchasing", "Strategic Sourcing", "Indirect Procurement"),
        {4: ("Category Manager",), 7: ("Chief Procurement Officer",)},
    ),
    Family(
        "manufacturing",
        (
            ("Production Operator", 2),
            ("Machine Operator", 2),
            ("Assembler", 2),
            ("Production Technician", 2),
            ("CNC Machinist", 2),
            ("Quality Inspector", 2),
            ("Manufacturing Engineer", 2),
            ("Process Engineer", 2),
            ("Production Worker", 1),
            ("Welder", 2),
        ),
        ("Production", "Manufacturing", "Assembly", "Plant Operations", "Quality Control"),
        {4: ("Plant Manager", "Shift Supervisor", "Foreman", "Production Foreman"), 6: ("Plant Director",)},
        translations={
            "de": Translation(
                (("Produktionsmitarbeiter", 1), ("Maschinenbediener", 2), ("Industriemechaniker", 2)),
                ("Produktion", "Fertigung"),
            ),
            "fr": Translation(
                (("Opérateur de Production", 2), ("Technicien de Production", 2)), ("Production", "Usine")
            ),
            "es": Translation(
                (("Operario de Producción", 2), ("Técnico de Producción", 2)), ("Producción", "Planta")
            ),
        },
    ),
    Family(
        "mechanical_engineering",
        (
            ("Mechanical Engineer", 2),
            ("Design Engineer", 2),
            ("CAD Designer", 2),
            ("Mechanical Designer", 2),
            ("Maintenance Technician", 2),
            ("HVAC Engineer", 2),
            ("Reliability Engineer", 2),
            ("Mechanical Technician", 2),
        ),
        ("Mechanical Engineering", "Maintenance", "R&D", "Product Engineering"),
        translations={
            "de": Translation(
                (("Maschinenbauingenieur", 2), ("Konstrukteur", 2), ("Servicetechniker", 2)),
                ("Konstruktion", "Maschinenbau", "Instandhaltung"),
            ),
            "fr": Translation(
                (("Ingénieur Mécanique", 2), ("Technicien de Maintenance", 2)),
                ("Maintenance", "Bureau d'Études"),
            ),
            "es": Translation(
                (("Ingeniero Mecánico", 2), ("Técnico de Mantenimiento", 2)),
                ("Mantenimiento", "Ingeniería Mecánica"),
            ),
        },
    ),
    Family(
        "electrical_engineering",
        (
            ("Electrical Engineer", 2),
            ("Electronics Engineer", 2),
            ("Electrician", 2),
            ("Hardware Engineer", 2),
            ("Controls Engineer", 2),
            ("Power Systems Engineer", 2),
            ("Electrical Technician", 2),
            ("PCB Designer", 2),
        ),
        ("Electrical Engineering", "Hardware Engineering", "Electronics", "Power Systems"),
        staff_titles=True,
        translations={
            "de": Translation(
                (("Elektroingenieur", 2), ("Elektriker", 2), ("Elektroniker", 2)), ("Elektrotechnik",)
            ),
            "fr": Translation((("Ingénieur Électricien", 2), ("Électricien", 2)), ("Électricité",)),
            "es": Translation((("Ingeniero Eléctrico", 2), ("Electricista", 2)), ("Ingeniería Eléctrica",)),
        },
    ),
    Family(
        "civil_engineering",
        (
            ("Civil Engineer", 2),
            ("Structural Engineer", 2),
            ("Site Engineer", 2),
            ("Construction Worker", 1),
            ("Quantity Surveyor", 2),
            ("Land Surveyor", 2),
            ("Cost Estimator", 2),
            ("Geotechnical Engineer", 2),
            ("Carpenter", 2),
        ),
        ("Civil Engineering", "Construction", "Structural Engineering", "Infrastructure Projects"),
        {
            4: (
                "Site Manager",
                "Site Superintendent",
                "Superintendent",
                "Project Superintendent",
                "Construction Foreman",
            )
        },
    ),
    Family(
        "marine_engineering",
        (
            ("Marine Engineer", 2),
            ("Deck Officer", 2),
            ("Marine Technician", 2),
            ("Naval Architect", 3),
            ("Deckhand", 1),
            ("Able Seaman", 1),
            ("Marine Electrician", 2),
        ),
        ("Marine Operations", "Fleet Management", "Marine Engineering", "Vessel Operations"),
        {
            4: (
                "Superintendent Engineer",
                "Technical Superintendent",
                "Marine Superintendent",
                "Fleet Superintendent",
            ),
            5: ("Chief Engineer",),
        },
    ),
    Family(
        "nursing",
        (
            ("Registered Nurse", 2),
            ("Staff Nurse", 2),
            ("Licensed Practical Nurse", 2),
            ("Nurse Practitioner", 3),
            ("Nursing Assistant", 1),
            ("Certified Nursing Assistant", 1),
            ("Clinical Nurse Specialist", 3),
            ("ICU Nurse", 2),
            ("Travel Nurse", 2),
        ),
        ("Nursing", "Patient Care", "Intensive Care", "Emergency Department", "Surgical Services"),
        {4: ("Charge Nurse", "Nurse Manager", "Ward Manager"), 7: ("Chief Nursing Officer",)},
        translations={
            "de": Translation(
                (("Gesundheits- und Krankenpfleger", 2), ("Pflegefachkraft", 2), ("Pflegehelfer", 1)),
                ("Pflege", "Intensivstation"),
            ),
            "fr": Translation((("Infirmier", 2), ("Infirmière", 2), ("Aide-Soignant", 1)), ("Soins",)),
            "es": Translation(
                (("Enfermero", 2), ("Enfermera", 2), ("Auxiliar de Enfermería", 1)), ("Enfermería",)
            ),
        },
    ),
    Family(
        "medicine",
        (
            ("Physician", 3),
            ("Medical Doctor", 3),
            ("Resident Physician", 2),
            ("Surgeon", 3),
            ("General Practitioner", 3),
            ("Anesthesiologist", 3),
            ("Radiologist", 3),
            ("Medical Assistant", 1),
            ("Attending Physician", 3),
            ("Hospitalist", 3),
        ),
        ("Medicine", "Surgery", "Cardiology", "Radiology", "Pediatrics", "Internal Medicine"),
        {
            2: ("Medical Resident",),
            5: ("Chief of Surgery", "Chief of Medicine", "Chief of Cardiology"),
            6: ("Medical Director",),
            7: ("Chief Medical Officer", "CMO, Health System"),
        },
    ),
    Family(
        "pharmacy",
        (("Pharmacist", 3), ("Pharmacy Technician", 2), ("Clinical Pharmacist", 3), ("Staff Pharmacist", 3)),
        ("Pharmacy", "Pharmacy Services", "Clinical Pharmacy"),
    ),
    Family(
        "research_science",
        (
            ("Research Associate", 2),
            ("Lab Technician", 2),
            ("Laboratory Assistant", 1),
            ("Scientist", 2),
            ("Chemist", 2),
            ("Biologist", 2),
            ("Postdoctoral Researcher", 2),
            ("Clinical Research Associate", 2),
            ("Research Assistant", 2),
            ("Microbiologist", 2),
        ),
        ("Research", "R&D", "Research and Development", "Laboratory", "Clinical Research"),
        {7: ("Chief Scientific Officer", "Chief Science Officer")},
    ),
    Family(
        "education",
        (
            ("Teacher", 2),
            ("Teaching Assistant", 1),
            ("Lecturer", 3),
            ("Tutor", 2),
            ("Instructor", 2),
            ("Professor", 3),
            ("Assistant Professor", 3),
            ("School Counselor", 2),
            ("Math Teacher", 2),
            ("Substitute Teacher", 2),
        ),
        ("Mathematics", "Science Department", "Curriculum", "Student Services", "Academic Affairs"),
        {5: ("Assistant Principal", "Vice Principal", "Head Teacher"), 6: ("School Principal", "Dean")},
        translations={
            "de": Translation((("Lehrer", 2), ("Dozent", 3)), ("Schulverwaltung",)),
            "fr": Translation((("Professeur", 3), ("Enseignant", 2)), ("Enseignement",)),
            "es": Translation((("Profesor", 3), ("Docente", 2)), ("Docencia",)),
        },
    ),
    Family(
        "retail",
        (
            ("Cashier", 1),
            ("Retail Sales Associate", 1),
            ("Store Associate", 1),
            ("Stock Associate", 1),
            ("Visual Merchandiser", 2),
            ("Merchandiser", 2),
            ("Shop Assistant", 1),
            ("Customer Assistant", 1),
        ),
        ("Store", "Retail", "Store Operations", "Merchandising"),
        {
            3: ("Assistant Store Manager", "Shift Lead", "Key Holder"),
            4: ("Store Manager", "Department Manager"),
            5: ("District Manager", "Regional Manager", "Area Manager"),
        },
        translations={
            "de": Translation(
                (("Kassierer", 1), ("Verkaufsberater", 2), ("Einzelhandelskaufmann", 2)),
                ("Filiale", "Einzelhandel"),
            ),
            "fr": Translation(
                (("Caissier", 1), ("Conseiller de Vente", 2), ("Employé Libre-Service", 1)), ("Magasin",)
            ),
            "es": Translation((("Cajero", 1), ("Dependiente", 1), ("Reponedor", 1)), ("Tienda",)),
        },
    ),
    Family(
        "hospitality",
        (
            ("Line Cook", 2),
            ("Prep Cook", 1),
            ("Waiter", 1),
            ("Bartender", 2),
            ("Barista", 1),
            ("Housekeeper", 1),
            ("Front Desk Agent", 1),
            ("Dishwasher", 1),
            ("Cook", 2),
            ("Concierge", 2),
            ("Server", 1),
        ),
        ("Kitchen", "Food and Beverage", "Housekeeping", "Front Office", "Guest Services"),
        {
            3: ("Sous Chef", "Chef de Partie"),
            4: ("Restaurant Manager", "Hotel Manager"),
            5: ("Head Chef", "Executive Chef", "Chef de Cuisine"),
            6: ("Hotel General Manager",),
        },
        translations={
            "de": Translation((("Koch", 2), ("Servicekraft", 1), ("Hotelfachmann", 2)), ("Küche", "Service")),
            "fr": Translation(
                (("Cuisinier", 2), ("Serveur", 1), ("Réceptionniste", 1)), ("Cuisine", "Restauration")
            ),
            "es": Translation((("Cocinero", 2), ("Camarero", 1), ("Recepcionista", 1)), ("Cocina", "Sala")),
        },
    ),
    Family(
        "real_estate_facilities",
        (
            ("Facilities Technician", 2),
            ("Property Administrator", 2),
            ("Leasing Consultant", 2),
            ("Real Estate Agent", 2),
            ("Building Engineer", 2),
            ("Facilities Coordinator", 2),
            ("Janitor", 1),
            ("Custodian", 1),
            ("Property Accountant", 2),
        ),
        ("Facilities", "Real Estate", "Property Management", "Workplace Services", "Facilities Management"),
        {4: ("Property Manager", "Leasing Manager", "Building Manager")},
    ),
    Family(
        "administration",
        (
            ("Administrative Assistant", 2),
            ("Office Assistant", 1),
            ("Receptionist", 1),
            ("Executive Assistant", 2),
            ("Data Entry Clerk", 1),
            ("Office Administrator", 2),
            ("Secretary", 2),
            ("Personal Assistant", 2),
            ("File Clerk", 1),
            ("Mailroom Clerk", 1),
        ),
        ("Administration", "Office Administration", "Office Services", "Administrative Services"),
        {
            2: (
                "Executive Assistant to the CEO",
                "Executive Assistant to the CFO",
                "Executive Assistant to the COO",
                "Assistant to the Managing Director",
                "Personal Assistant to the CEO",
                "Assistant to the Director of Finance",
                "Executive Assistant to the VP of Sales",
                "Executive Assistant to the Head of Legal",
                "Assistant to the General Counsel",
            ),
            4: ("Office Manager",),
        },
        translations={
            "de": Translation(
                (("Bürokaufmann", 2), ("Sekretärin", 2), ("Assistenz der Geschäftsführung", 2)),
                ("Verwaltung", "Büro"),
            ),
            "fr": Translation(
                (("Assistant Administratif", 2), ("Secrétaire", 2), ("Assistante de Direction", 2)),
                ("Administration",),
            ),
            "es": Translation(
                (("Auxiliar Administrativo", 2), ("Secretaria", 2), ("Asistente de Dirección", 2)),
                ("Administración",),
            ),
        },
    ),
    Family(
        "consulting",
        (
            ("Consultant", 2),
            ("Business Consultant", 2),
            ("Management Consultant", 3),
            ("Strategy Consultant", 3),
            ("Analyst", 2),
            ("IT Consultant", 2),
            ("SAP Consultant", 2),
            ("Associate Consultant", 2),
        ),
        ("Consulting", "Advisory", "Strategy", "Management Consulting", "Technology Consulting"),
        {
            4: ("Engagement Manager",),
            5: ("Associate Partner",),
            6: ("Partner", "Senior Partner"),
            7: ("Managing Partner",),
        },
        translations={
            "de": Translation((("Berater", 2), ("Unternehmensberater", 3)), ("Beratung",)),
            "fr": Translation((("Consultant", 2), ("Consultant Fonctionnel", 2)), ("Conseil",)),
            "es": Translation((("Consultor", 2), ("Consultor Funcional", 2)), ("Consultoría",)),
        },
    ),
    Family(
        "investment_banking",
        (
            ("Investment Banking Analyst", 2),
            ("Equity Research Analyst", 2),
            ("Trader", 2),
            ("Portfolio Analyst", 2),
            ("Quantitative Analyst", 2),
            ("Investment Analyst", 2),
            ("Private Equity Analyst", 2),
        ),
        (
            "Investment Banking",
            "Equity Research",
            "Capital Markets",
            "Mergers and Acquisitions",
            "Asset Management",
            "Private Equity",
            "Trading",
        ),
        {
            3: ("Associate, Investment Banking", "Investment Banking Associate", "Private Equity Associate"),
            4: ("Portfolio Manager", "Fund Manager", "Wealth Manager"),
            7: ("Chief Investment Officer",),
        },
    ),
    Family(
        "insurance",
        (
            ("Underwriter", 2),
            ("Claims Adjuster", 2),
            ("Actuarial Analyst", 2),
            ("Actuary", 3),
            ("Insurance Agent", 2),
            ("Claims Processor", 2),
            ("Loss Adjuster", 2),
            ("Insurance Broker", 2),
        ),
        ("Underwriting", "Claims", "Actuarial", "Insurance Operations"),
        {5: ("Chief Actuary",), 7: ("Chief Underwriting Officer",)},
    ),
    Family(
        "content_editorial",
        (
            ("Content Writer", 2),
            ("Editor", 2),
            ("Copy Editor", 2),
            ("Journalist", 2),
            ("Reporter", 2),
            ("Technical Writer", 2),
            ("Content Strategist", 2),
            ("Proofreader", 2),
            ("Editorial Assistant", 1),
        ),
        ("Editorial", "Content", "Newsroom", "Publishing", "Documentation"),
        {4: ("Managing Editor", "Content Manager"), 6: ("Editor in Chief", "Editor-in-Chief")},
    ),
    Family(
        "project_management",
        (
            ("Project Coordinator", 2),
            ("Project Analyst", 2),
            ("Project Administrator", 2),
            ("Scrum Master", 3),
            ("Project Scheduler", 2),
            ("PMO Analyst", 2),
            ("Agile Coach", 3),
        ),
        ("Project Management", "PMO", "Program Management", "Delivery"),
        {
            4: (
                "Project Manager",
                "Program Manager",
                "Delivery Manager",
                "Senior Project Manager",
                "IT Project Manager",
                "Construction Project Manager",
            )
        },
        translations={
            "de": Translation((("Projektassistent", 2), ("Projektkoordinator", 2)), ("Projektmanagement",)),
            "fr": Translation((("Chargé de Projet", 2), ("Assistant Chef de Projet", 2)), ("Projets",)),
            "es": Translation((("Técnico de Proyectos", 2), ("Coordinador de Proyectos", 2)), ("Proyectos",)),
        },
    ),
    Family(
        "architecture",
        (
            ("Architect", 3),
            ("Architectural Designer", 2),
            ("Urban Planner", 2),
            ("Landscape Architect", 3),
            ("Interior Designer", 2),
            ("Architectural Technologist", 2),
            ("Drafter", 2),
            ("BIM Modeler", 2),
        ),
        ("Architecture", "Urban Planning", "Interior Design", "Design Studio"),
    ),
    Family(
        "transportation",
        (
            ("Truck Driver", 2),
            ("Delivery Driver", 2),
            ("Dispatcher", 2),
            ("Courier", 1),
            ("Fleet Coordinator", 2),
            ("Bus Driver", 2),
            ("Transport Planner", 2),
        ),
        ("Transportation", "Fleet", "Dispatch", "Delivery Operations"),
        translations={
            "de": Translation((("Berufskraftfahrer", 2), ("Fahrer", 2)), ("Fuhrpark", "Transport")),
            "fr": Translation((("Chauffeur Livreur", 2), ("Conducteur", 2)), ("Transport",)),
            "es": Translation((("Conductor", 2), ("Repartidor", 1)), ("Transporte",)),
        },
    ),
    Family(
        "social_care_therapy",
        (
            ("Social Worker", 2),
            ("Case Manager", 2),
            ("Counselor", 2),
            ("Therapist", 3),
            ("Physical Therapist", 3),
            ("Psychologist", 3),
            ("Occupational Therapist", 3),
            ("Care Assistant", 1),
            ("Support Worker", 1),
        ),
        ("Social Services", "Behavioral Health", "Rehabilitation", "Therapy Services"),
    ),
    Family(
        "general_management",
        (("Strategy Analyst", 2), ("Corporate Development Analyst", 2), ("Management Trainee", 1)),
        ("Strategy", "Corporate Development", "Business Unit", "Corporate Strategy"),
        {
            1: ("Intern", "Trainee", "Apprentice", "Summer Intern", "Graduate Trainee", "Working Student"),
            2: ("Specialist", "Associate"),
            3: ("Senior Analyst", "Senior Associate", "Senior Specialist"),
            4: ("Manager", "Senior Manager", "Team Lead", "Team Leader", "Supervisor"),
            5: (
                "Chief of Staff",
                "Vice President",
                "VP",
                "Head of Department",
                "Country Manager",
                "Associate Director",
            ),
            6: (
                "Managing Director",
                "General Manager",
                "Executive Director",
                "Director",
                "Senior Vice President",
                "Executive Vice President",
                "SVP",
                "EVP",
                "Senior Director",
                "Regional Director",
            ),
            7: (
                "CEO",
                "Chief Executive Officer",
                "President",
                "President and CEO",
                "President & CEO",
                "Founder & CEO",
                "Co-Founder and CEO",
                "Chairman and CEO",
                "Executive Chairman",
                "Chief Executive",
                "Group CEO",
                "Interim CEO",
                "Chairman of the Board",
                "Owner and CEO",
                "Co-Founder & CEO",
            ),
        },
    ),
)

# Level patterns. {role} is an individual-contributor role, {dept} a department the family's managers lead.
ENTRY_ROLE_PATTERNS = (
    "{role} Intern",
    "Intern, {role}",
    "Intern - {role}",
    "{role} Trainee",
    "Trainee {role}",
    "{role} Apprentice",
    "Apprentice {role}",
    "Graduate {role}",
    "Working Student {role}",
    "Summer Intern - {role}",
    "{role} Internship",
    "{role} Co-op",
    "Entry Level {role}",
    "Entry-Level {role}",
    "Graduate Trainee {role}",
)
ENTRY_DEPT_PATTERNS = (
    "{dept} Intern",
    "Intern, {dept}",
    "{dept} Internship",
    "{dept} Trainee",
    "{dept} Apprentice",
    "Summer Intern, {dept}",
    "{dept} Co-op",
    "Graduate Programme - {dept}",
    "{dept} Internship Program",
)
JUNIOR_ROLE_PATTERNS = (
    "Junior {role}",
    "Associate {role}",
    "{role} I",
    "{role} II",
    "{role}, Level 1",
    "{role} (Level 2)",
    "{role} 1",
    "{role} 2",
)
JUNIOR_DEPT_PATTERNS = ("{dept} Specialist", "{dept} Coordinator")
SENIOR_ROLE_PATTERNS = (
    "Senior {role}",
    "Experienced {role}",
    "{role} III",
    "{role} IV",
    "{role}, Level 3",
    "{role} (Level 4)",
    "Senior {role} II",
    "{role} (Senior)",
    "{role} - Senior Level",
)
SENIOR_DEPT_PATTERNS = (
    "Assistant Manager, {dept}",
    "Assistant {dept} Manager",
    "Senior {dept} Specialist",
    "Senior {dept} Analyst",
)
MANAGER_ROLE_PATTERNS = ("{role} Team Lead", "Supervising {role}")
MANAGER_DEPT_PATTERNS = (
    "{dept} Manager",
    "Manager, {dept}",
    "Manager of {dept}",
    "Manager - {dept}",
    "Senior {dept} Manager",
    "Senior Manager, {dept}",
    "{dept} Team Lead",
    "Team Lead, {dept}",
    "Team Leader - {dept}",
    "{dept} Team Leader",
    "{dept} Supervisor",
    "Supervisor, {dept}",
    "{dept} Section Manager",
)
DIRECTOR_DEPT_PATTERNS = (
    "Head of {dept}",
    "Head, {dept}",
    "Global Head of {dept}",
    "Group Head of {dept}",
    "Deputy Head of {dept}",
    "VP {dept}",
    "VP of {dept}",
    "VP, {dept}",
    "VP - {dept}",
    "Vice President {dept}",
    "Vice President of {dept}",
    "Vice President, {dept}",
    "Associate Director, {dept}",
    "Associate Director of {dept}",
    "Assistant Director of {dept}",
    "Deputy Director, {dept}",
)
EXECUTIVE_DEPT_PATTERNS = (
    "Director of {dept}",
    "Director, {dept}",
    "{dept} Director",
    "Director - {dept}",
    "Senior Director of {dept}",
    "Senior Director, {dept}",
    "Executive Director, {dept}",
    "Managing Director, {dept}",
    "Managing Director - {dept}",
    "Senior Vice President, {dept}",
    "Senior Vice President of {dept}",
    "SVP {dept}",
    "SVP, {dept}",
    "Executive Vice President, {dept}",
    "EVP {dept}",
    "EVP of {dept}",
    "Group Director, {dept}",
    "Regional Director, {dept}",
    "General Manager, {dept}",
    "{dept} General Manager",
)

# Non-English patterns by language and level; role patterns only apply to roles whose bare level fits.
LANGUAGE_PATTERNS: dict[str, dict[int, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    # level: (role patterns, department patterns)
    "de": {
        1: (
            (
                "Praktikant {role}",
                "Praktikum {role}",
                "Werkstudent {role}",
                "Werkstudent*in {role}",
                "Auszubildender {role}",
                "Ausbildung zum {role}",
                "Trainee {role}",
            ),
            ("Praktikant {dept}", "Praktikum im Bereich {dept}", "Werkstudent {dept}"),
        ),
        2: (("Junior {role}", "Junior-{role}"), ("Sachbearbeiter {dept}", "Mitarbeiter {dept}")),
        3: (
            ("Senior {role}", "Erfahrener {role}", "Leitender {role}"),
            ("Referent {dept}", "Spezialist {dept}"),
        ),
        4: ((), ("Teamleiter {dept}", "Teamleitung {dept}", "Gruppenleiter {dept}", "Teamleiter*in {dept}")),
        5: (
            (),
            (
                "Leiter {dept}",
                "Leitung {dept}",
                "Abteilungsleiter {dept}",
                "Bereichsleiter {dept}",
                "Leiterin {dept}",
                "Head of {dept}",
            ),
        ),
        6: ((), ("Direktor {dept}", "Direktorin {dept}", "Geschäftsführer {dept}", "Geschäftsführer")),
        7: (
            (),
            (
                "Vorstandsvorsitzender",
                "Vorsitzender der Geschäftsführung",
                "Finanzvorstand",
                "Vorstand {dept}",
                "Vorstandsmitglied",
            ),
        ),
    },
    "fr": {
        1: (
            (
                "Stagiaire {role}",
                "Stage - {role}",
                "Alternant {role}",
                "Alternance - {role}",
                "Apprenti {role}",
            ),
            ("Stagiaire {dept}", "Stage {dept}", "Alternant {dept}"),
        ),
        2: (("{role} Junior", "{role} Débutant"), ("Chargé {dept}", "Gestionnaire {dept}")),
        3: (("{role} Senior", "{role} Confirmé", "{role} Expérimenté"), ("Expert {dept}",)),
        4: (
            (),
            ("Responsable {dept}", "Chef d'Équipe {dept}", "Manager {dept}", "Responsable d'Équipe {dept}"),
        ),
        5: ((), ("Chef de Service {dept}", "Directeur Adjoint {dept}", "Vice-Président {dept}")),
        6: ((), ("Directeur {dept}", "Directrice {dept}", "Directeur - {dept}")),
        7: (
            (),
            (
                "Directeur Général",
                "Directrice Générale",
                "Président-Directeur Général",
                "PDG",
                "Directeur Général Délégué",
            ),
        ),
    },
    "es": {
        1: (
            ("Becario {role}", "Becario/a de {role}", "Prácticas de {role}", "Practicante de {role}"),
            ("Becario {dept}", "Prácticas en {dept}"),
        ),
        2: (("{role} Junior", "{role} Jr"), ("Técnico de {dept}", "Analista de {dept}")),
        3: (("{role} Senior", "{role} Sénior", "{role} con Experiencia"), ("Especialista Senior de {dept}",)),
        4: ((), ("Gerente de {dept}", "Supervisor de {dept}", "Jefe de Equipo de {dept}")),
        5: ((), ("Jefe de {dept}", "Subdirector de {dept}", "Vicepresidente de {dept}")),
        6: ((), ("Director de {dept}", "Directora de {dept}")),
        7: (
            (),
            (
                "Director General",
                "Directora General",
                "Director Ejecutivo",
                "Consejero Delegado",
                "Presidente Ejecutivo",
            ),
        ),
    },
}
_GENERIC_LANGUAGE_TITLES = {
    language: {pattern for patterns in by_level.values() for pattern in patterns[1] if "{" not in pattern}
    for language, by_level in LANGUAGE_PATTERNS.items()
}
LANGUAGE_SUFFIXES = {
    "de": (" (m/w/d)", " (w/m/d)", " (m/f/d)"),
    "fr": (" (H/F)", " F/H", " H/F"),
    "es": (" (H/M)", " (M/F)"),
}

# Sub-teams and places that postings append; none of them carries a seniority word.
SUB_TEAMS = (
    "Backend Systems",
    "Data Flow",
    "Payments",
    "Platform",
    "Core Banking",
    "Consumer",
    "Enterprise",
    "Cloud",
    "Mobile",
    "Growth",
    "Risk",
    "EMEA",
    "APAC",
    "Americas",
    "North America",
    "LATAM",
    "DACH",
    "Night Shift",
    "Weekend Shift",
    "Customer Experience",
    "Search",
    "Ads",
    "Identity",
    "Billing",
    "Healthcare",
    "Oncology",
    "Corporate",
    "Public Sector",
    "Commercial",
    "Global",
    "Retail Banking",
    "Wealth",
    "E-commerce",
    "Logistics",
    "Infrastructure",
    "Security",
    "Machine Learning",
    "Marketplace",
    "Fintech",
    "Automotive",
    "Energy",
    "Aerospace",
    "Pharma",
    "Media",
    "Gaming",
    "Supply",
    "Hardware",
    "Devices",
    "Insurance",
    "Treasury",
)
LOCATIONS = (
    "New York, NY",
    "London",
    "Berlin",
    "Remote",
    "San Francisco, CA",
    "Austin, TX",
    "Toronto",
    "Paris",
    "Madrid",
    "Munich",
    "Singapore",
    "Sydney",
    "Chicago, IL",
    "Boston, MA",
    "Seattle, WA",
    "Dublin",
    "Amsterdam",
    "Zurich",
    "Bangalore",
    "Tokyo",
    "Mexico City",
    "São Paulo",
    "Denver, CO",
    "Atlanta, GA",
    "Dallas, TX",
    "Miami, FL",
    "Los Angeles, CA",
    "Hamburg",
    "Frankfurt",
    "Lyon",
    "Barcelona",
    "Warsaw",
    "Lisbon",
    "Stockholm",
    "Vienna",
    "Prague",
    "Manchester",
    "Edinburgh",
    "Phoenix, AZ",
    "Remote - US",
    "US Remote",
    "Hybrid",
    "Charlotte, NC",
    "Raleigh, NC",
    "Montreal",
    "Bogotá",
    "Buenos Aires",
    "Milan",
    "Brussels",
    "Copenhagen",
)
SUFFIX_FORMATS = (
    " - {sub}",
    ", {sub}",
    " ({sub})",
    " – {sub}",
    " - {loc}",
    ", {loc}",
    " ({loc})",
    " | {loc}",
    " [{loc}]",
    " / {loc}",
    " - Remote",
    " (Remote)",
    " (Hybrid)",
    " - Contract",
    " (Part-Time)",
    " (Full Time)",
    " (m/w/d)",
    " (m/f/d)",
    " - Req {num}",
    " #{num}",
    " [{sub}]",
    " - {sub} - {loc}",
    " ({sub}, {loc})",
    " - 12 Month Contract",
    " (Temporary)",
    " - Day Shift",
)
PREFIXES = ("Urgent: ", "NEW: ", "Hiring: ", "* ", "Immediate Start - ", "Remote ")

# (pattern, replacements) applied in order, so "Senior Vice President" becomes SVP before "Senior" becomes Sr.
ABBREVIATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"\bSenior Vice President\b", ("SVP", "Senior VP", "Sr. VP", "Sr. Vice President")),
    (r"\bExecutive Vice President\b", ("EVP", "Exec. VP", "Executive VP")),
    (r"\bVice President\b", ("VP", "V.P.", "Vice-President")),
    (r"\bSenior\b", ("Sr.", "Sr", "SR.", "Snr")),
    (r"\bJunior\b", ("Jr.", "Jr", "Jnr")),
    (r"\bManager\b", ("Mgr", "Mgr.")),
    (r"\bAssistant\b", ("Asst.", "Asst")),
    (r"\bAssociate\b", ("Assoc.",)),
    (r"\bDirector\b", ("Dir.",)),
    (r"\bRepresentative\b", ("Rep",)),
    (r"\bTechnician\b", ("Tech",)),
    (r"\bDevelopment\b", ("Dev",)),
    (r"\bOperations\b", ("Ops",)),
    (r"\bHuman Resources\b", ("HR",)),
    (r"\band\b", ("&",)),
)
ABBREVIATION_REGEXES = tuple((re.compile(pattern), forms) for pattern, forms in ABBREVIATIONS)


def title_key(title: str) -> str:
    """The SPEC's normalization (NFKC, casefold, single spaces); titles equal under it are one title."""
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())


def _junior_level(base: int) -> int:
    return min(base, 2)


def _senior_level(base: int) -> int:
    return min(base + 1, 3)


def _role_candidates(roles: tuple[Role, ...], lead_level: int, staff_titles: bool) -> dict[int, list[str]]:
    """Clean titles built from individual-contributor roles, by level."""
    by_level: dict[int, list[str]] = {level: [] for level in LEVEL_NAMES}
    for role, base in roles:
        by_level[base].append(role)
        by_level[1].extend(pattern.format(role=role) for pattern in ENTRY_ROLE_PATTERNS if base >= 2)
        by_level[_junior_level(base)].append(f"Junior {role}")
        by_level[_senior_level(base)].append(f"Senior {role}")
        if base == 2:
            by_level[2].extend(
                pattern.format(role=role)
                for pattern in JUNIOR_ROLE_PATTERNS
                if not (pattern.startswith("Associate") and "Associate" in role)
            )
        if base >= 2:
            by_level[3].extend(pattern.format(role=role) for pattern in SENIOR_ROLE_PATTERNS)
            by_level[lead_level if base >= 3 else 3].append(f"Lead {role}")
            by_level[4].extend(pattern.format(role=role) for pattern in MANAGER_ROLE_PATTERNS)
        if base == 3:
            by_level[3].append(f"Associate {role}")
        if staff_titles and base >= 2:
            by_level[3].extend((f"Staff {role}", f"Principal {role}", f"Senior Staff {role}"))
    return by_level


def _department_candidates(departments: tuple[str, ...]) -> dict[int, list[str]]:
    """Clean titles built from the departments a family's managers, heads and directors lead, by level."""
    patterns = {
        1: ENTRY_DEPT_PATTERNS,
        2: JUNIOR_DEPT_PATTERNS,
        3: SENIOR_DEPT_PATTERNS,
        4: MANAGER_DEPT_PATTERNS,
        5: DIRECTOR_DEPT_PATTERNS,
        6: EXECUTIVE_DEPT_PATTERNS,
    }
    return {
        level: [p.format(dept=dept) for p in level_patterns for dept in departments]
        for level, level_patterns in patterns.items()
    }


def _language_candidates(language: str, translation: Translation) -> dict[int, list[str]]:
    """Clean non-English titles of one family in one language, by level."""
    by_level: dict[int, list[str]] = {level: [] for level in LEVEL_NAMES}
    for level, (role_patterns, dept_patterns) in LANGUAGE_PATTERNS[language].items():
        for role, base in translation.roles:
            if level == base and level in (1, 2, 3):
                by_level[level].append(role)
            if level == 1 and base >= 2:
                by_level[1].extend(pattern.format(role=role) for pattern in role_patterns)
            elif level == 2 and base >= 1:
                by_level[_junior_level(base)].extend(pattern.format(role=role) for pattern in role_patterns)
            elif level == 3 and base >= 1:
                by_level[_senior_level(base)].extend(pattern.format(role=role) for pattern in role_patterns)
        for dept in translation.departments:
            by_level[level].extend(pattern.format(dept=dept) for pattern in dept_patterns)
    return by_level


def candidate_titles() -> dict[int, dict[str, list[str]]]:
    """Every clean (noise-free) title by level and family: English first, then German, French and Spanish."""
    candidates: dict[int, dict[str, list[str]]] = {level: {} for level in LEVEL_NAMES}

    def add(level: int, family: str, titles: list[str] | tuple[str, ...]) -> None:
        bucket = candidates[level].setdefault(family, [])
        bucket.extend(title for title in titles if title not in bucket)

    for family in FAMILIES:
        for level, titles in _role_candidates(family.roles, family.lead_level, family.staff_titles).items():
            add(level, family.name, titles)
        for level, titles in _department_candidates(family.departments).items():
            add(level, family.name, titles)
        for level, titles in family.extra.items():
            add(level, family.name, titles)
        for language, translation in family.translations.items():
            for level, titles in _language_candidates(language, translation).items():
                add(level, f"{family.name}@{language}", titles)
    # Top titles without a department ("Geschäftsführer", "PDG") belong to no family but general management.
    for level, by_family in candidates.items():
        for name in [name for name in by_family if "@" in name]:
            language = name.partition("@")[2]
            generic = [title for title in by_family[name] if title in _GENERIC_LANGUAGE_TITLES[language]]
            by_family[name] = [title for title in by_family[name] if title not in generic]
            add(level, f"general_management@{language}", generic)
    return {
        level: {name: titles for name, titles in by_family.items() if titles}
        for level, by_family in candidates.items()
    }


def _abbreviate(title: str, rng: random.Random) -> str:
    for regex, forms in ABBREVIATION_REGEXES:
        if regex.search(title) and rng.random() < 0.6:
            title = regex.sub(rng.choice(forms), title)
    return title


def _suffix(rng: random.Random) -> str:
    return rng.choice(SUFFIX_FORMATS).format(
        sub=rng.choice(SUB_TEAMS), loc=rng.choice(LOCATIONS), num=rng.randrange(1000, 99999)
    )


def _recase(title: str, rng: random.Random) -> str:
    style = rng.random()
    if style < 0.4:
        return title.upper()
    if style < 0.8:
        return title.lower()
    return " ".join(rng.choice((str.upper, str.lower, str.title))(word) for word in title.split(" "))


def add_posting_noise(title: str, language: str, rng: random.Random) -> str:
    """Dress a clean title as scraped postings do: abbreviations, suffixes, brackets, casing, stray spaces."""
    if language == "en" and rng.random() < 0.5:
        title = _abbreviate(title, rng)
    if language != "en" and rng.random() < 0.5:
        title += rng.choice(LANGUAGE_SUFFIXES[language])
    if rng.random() < 0.45:
        title += _suffix(rng)
        if rng.random() < 0.15:
            title += _suffix(rng)
    if rng.random() < 0.04:
        title = rng.choice(PREFIXES) + title
    if rng.random() < 0.15:
        title = _recase(title, rng)
    if rng.random() < 0.03:
        title = title.replace(" ", "  ", 1)
    if rng.random() < 0.03:
        title = f" {title} "
    return title


@dataclass(frozen=True)
class LabeledTitle:
    """One training row: a job title, its seniority level 1..7 and the job family it was drawn from."""

    title: str
    seniority: int
    family: str


def generate_training_titles(seed: int = SEED) -> list[LabeledTitle]:
    """Draw the labeled set: the SPEC examples, then distinct noisy titles per level, spread over families."""
    rng = random.Random(seed)
    candidates = candidate_titles()
    rows: list[LabeledTitle] = []
    label_of: dict[str, int] = {}

    def add(title: str, level: int, family: str) -> bool:
        key = title_key(title)
        if not key:
            return False
        if key in label_of:
            if label_of[key] != level:
                raise ValueError(
                    f"training rules disagree on {title!r}: level {label_of[key]} and level {level}"
                )
            return False
        label_of[key] = level
        rows.append(LabeledTitle(title, level, family))
        return True

    for title, level, family in SPEC_EXAMPLES:
        add(title, level, family)
    for level, target in TITLES_PER_LEVEL.items():
        english = [name for name in candidates[level] if "@" not in name]
        foreign = [name for name in candidates[level] if "@" in name]
        drawn = sum(1 for row in rows if row.seniority == level)
        attempts = 0
        while drawn < target:
            attempts += 1
            if attempts > 200 * target:
                raise RuntimeError(
                    f"could not draw {target} distinct level-{level} titles; add more patterns"
                )
            # About one title in eight is German, French or Spanish.
            source = rng.choice(foreign) if foreign and rng.random() < 0.12 else rng.choice(english)
            family, _, language = source.partition("@")
            title = rng.choice(candidates[level][source])
            if rng.random() < 0.7:
                title = add_posting_noise(title, language or "en", rng)
            drawn += add(title, level, family)
    return rows


def training_csv_bytes(rows: list[LabeledTitle]) -> bytes:
    """Serialize rows as UTF-8 CSV with the header title,seniority,family and LF line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows((row.title, row.seniority, row.family) for row in rows)
    return buffer.getvalue().encode("utf-8")


def write_training_data(path: Path = DEFAULT_TRAINING_DATA_PATH, seed: int = SEED) -> list[LabeledTitle]:
    """Generate the labeled set and write it as CSV to path; returns the rows."""
    rows = generate_training_titles(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(training_csv_bytes(rows))
    return rows


def read_training_data(path: Path = DEFAULT_TRAINING_DATA_PATH) -> list[LabeledTitle]:
    """Read a training CSV written by write_training_data."""
    if not path.exists():
        raise FileNotFoundError(
            f"training data not found at {path}; run `seniority-model build-training-data` to create it"
        )
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
            raise ValueError(
                f"{path} must have the columns {','.join(CSV_COLUMNS)}, found {reader.fieldnames}"
            )
        return [LabeledTitle(row["title"], int(row["seniority"]), row["family"]) for row in reader]


def summarize(rows: list[LabeledTitle]) -> str:
    """One line of counts: rows, distinct families and rows per level."""
    levels = Counter(row.seniority for row in rows)
    families = {row.family for row in rows}
    per_level = " ".join(f"{level}:{levels[level]}" for level in sorted(levels))
    return f"{len(rows)} titles, {len(families)} families, per level {per_level}"
