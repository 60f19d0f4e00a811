from api.media import signing


def test_signed_links_expire_and_bind_id_and_variant():
    sig = signing.sign(5, "thumb", 1000, "k")
    assert signing.check(5, "thumb", 1000, sig, "k", now=999)
    assert not signing.check(5, "thumb", 1000, sig, "k", now=1001)
    assert not signing.check(6, "thumb", 1000, sig, "k", now=999)
    assert not signing.check(5, "original", 1000, sig, "k", now=999)
    assert not signing.check(5, "thumb", 1000, sig, "other-key", now=999)
    assert not signing.check(5, "../etc", 1000, sig, "k", now=999)
