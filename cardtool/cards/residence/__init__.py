"""Residence cards: 在留カード / 特別永住者証明書, first and second generation, and the
特定在留カード residence application."""
