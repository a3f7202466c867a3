"""The My Number card (個人番号カード) applications."""
