from enrichment_platform.postings.normalize import normalize_pair, normalize_text, normalize_texts


def test_spelling_variants_normalize_to_one_pair():
    variants = [
        ("Acme Corp", "Senior Data Engineer"),
        ("ACME CORP", "SENIOR  DATA   ENGINEER"),
        ("  acme\tcorp ", "senior data engineer\n"),
        ("Ａｃｍｅ Corp", "Ｓenior Data Engineer"),  # fullwidth letters fold under NFKC
        ("Acme\u00a0Corp", "Senior\u2003Data Engineer"),  # non-breaking and em spaces are whitespace
    ]
    assert {normalize_pair(company, title) for company, title in variants} == {
        ("acme corp", "senior data engineer")
    }


def test_casefold_is_stronger_than_lower():
    assert normalize_text("Straße Leiter") == normalize_text("STRASSE LEITER")


def test_empty_company_stays_empty():
    assert normalize_text("   ") == ""


def test_normalize_texts_is_normalize_text_of_each():
    texts = ["  ACME\tCORP ", "Ａｃｍｅ Corp", "Straße", "ﬁnance", "a\u2003b", "", "x\x1fy", "İstanbul"]
    assert normalize_texts(texts) == [normalize_text(text) for text in texts]
