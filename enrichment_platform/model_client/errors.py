"""How a call to the seniority model fails: the endpoint did not answer, or answered outside the contract."""


class ModelUnavailableError(RuntimeError):
    """The model endpoint could not answer (infrastructure, retried by Dagster)."""


class ModelContractError(RuntimeError):
    """The model answered what the proto and the scale do not allow (a level outside 1..7, a lost uuid)."""
