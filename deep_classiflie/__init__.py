"""Deep Classiflie: classify a public figure's statements as likely falsehoods, end to end."""

__version__ = "0.1.0"
