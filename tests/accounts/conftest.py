import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """These tests make users by the dozen and log them in with force_login: PBKDF2's
    deliberate slowness (seconds per test) buys nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
