"""Reading the web: the polite fetcher every live source uses."""
from .fetcher import BudgetExhausted, Fetcher, FetchError, Response, host_of

__all__ = ["BudgetExhausted", "FetchError", "Fetcher", "Response", "host_of"]
