"""The check digit of the 12-digit 個人番号 (行政手続における特定の個人を識別するための番号の
利用等に関する法律施行令 第八条 / 総務省令 第五条). One definition for the reader, the
virtual cards and the trace checker."""

from __future__ import annotations


def my_number_check_digit(first_11: str) -> int:
    total = 0
    for n in range(1, 12):
        p = int(first_11[11 - n])
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    rest = total % 11
    return 0 if rest <= 1 else 11 - rest


def is_valid_my_number(number: str) -> bool:
    return (len(number) == 12 and number.isdigit()
            and my_number_check_digit(number[:11]) == int(number[11]))
