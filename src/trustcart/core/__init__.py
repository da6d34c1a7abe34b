"""Pure building blocks shared by every domain: money, ids, time, errors."""
