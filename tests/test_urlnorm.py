"""URL normalisation: the duplicate check depends on one spelling per post."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.urlnorm import host_of, normalize_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM/Path", "https://example.com/Path"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com", "https://example.com"),
        ("https://example.com/a/b/", "https://example.com/a/b"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://www.example.com/a", "https://www.example.com/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/a?utm_source=x&utm_medium=y&id=3", "https://example.com/a?id=3"),
        ("https://example.com/a?UTM_Campaign=x", "https://example.com/a"),
        (
            "https://example.com/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ref=5&ref_src=6&_ga=7&yclid=8&igshid=9&spm=10",
            "https://example.com/a",
        ),
        ("https://example.com/a?b=2&a=1&c=", "https://example.com/a?a=1&b=2&c="),
        ("https://example.com/a?flag&b=1", "https://example.com/a?b=1&flag"),
        ("https://example.com/a?q=a+b", "https://example.com/a?q=a%20b"),
        ("https://example.com/a?q=a%2Bb", "https://example.com/a?q=a%2Bb"),
        ("https://example.com/%7euser/%e2%82%ac", "https://example.com/~user/%E2%82%AC"),
        ("https://example.com/caf\u00e9", "https://example.com/caf%C3%A9"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://B\u00fccher.example/x", "https://xn--bcher-kva.example/x"),
        ("https://\u4f8b\u5b50.\u6d4b\u8bd5/x", "https://xn--fsqu00a.xn--0zwm56d/x"),
        ("https://[2001:DB8::0001]:443/x", "https://[2001:db8::1]/x"),
        # AMP variants fold onto the canonical page.
        ("https://example.com/2020/01/post/amp", "https://example.com/2020/01/post"),
        ("https://example.com/2020/01/post/amp/", "https://example.com/2020/01/post"),
        ("https://example.com/amp/2020/01/post", "https://example.com/2020/01/post"),
        ("https://example.com/post?amp", "https://example.com/post"),
        ("https://example.com/post?amp=1&id=2", "https://example.com/post?id=2"),
        ("https://example.com/post?outputType=amp", "https://example.com/post"),
        ("https://amp.theguardian.com/world/x", "https://theguardian.com/world/x"),
        ("https://amp.example.com/x", "https://amp.example.com/x"),
        (
            "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/2020/post/amp/",
            "https://www.example.com/2020/post",
        ),
        ("https://example-com.cdn.ampproject.org/c/example.com/p", "http://example.com/p"),
        ("https://www.google.com/amp/s/www.example.com/post/amp", "https://www.example.com/post"),
        ("https://google.com/amp/example.com/post", "http://example.com/post"),
        # Other schemes are left alone apart from the scheme's case.
        ("MAILTO:Someone@Example.com", "mailto:Someone@Example.com"),
        ("  https://example.com/x  ", "https://example.com/x"),
    ],
)
def test_normalize_url(url, expected):
    assert normalize_url(url) == expected


def test_amp_and_tracking_variants_of_one_post_collapse():
    variants = [
        "https://www.example.com/2021/05/post/",
        "https://www.example.com/2021/05/post/amp/",
        "https://www.example.com/2021/05/post?utm_source=rss&utm_medium=rss",
        "HTTPS://WWW.EXAMPLE.COM:443/2021/05/post#comments",
        "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/2021/05/post/amp/",
        "https://www.google.com/amp/s/www.example.com/2021/05/post/amp",
    ]
    assert {normalize_url(v) for v in variants} == {"https://www.example.com/2021/05/post"}


def test_www_is_a_different_host():
    assert normalize_url("https://www.example.com/a") != normalize_url("https://example.com/a")


@pytest.mark.parametrize("url", ["https://example.com:99999/", "http://example.com:port/", "https://[::zz]/"])
def test_unparseable_urls_raise_value_error(url):
    with pytest.raises(ValueError):
        normalize_url(url)


def test_host_of():
    assert host_of("https://WWW.Example.com.:8080/x") == "www.example.com"
    assert host_of("https://b\u00fccher.example/") == "xn--bcher-kva.example"
    assert host_of("not a url") == ""


_segment = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#"), max_size=8)
_hosts = st.sampled_from(
    ["example.com", "WWW.Example.org", "b\u00fccher.example", "amp.cnn.com", "127.0.0.1", "[::1]", "example.com."]
)
_urls = st.builds(
    lambda scheme, host, port, segments, query, fragment: (
        f"{scheme}://{host}{port}/{'/'.join(segments)}{query}{fragment}"
    ),
    st.sampled_from(["http", "https", "HTTPS"]),
    _hosts,
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.lists(st.one_of(_segment, st.sampled_from(["amp", ".", "..", "", "%7e", "%2F", "%zz"])), max_size=5),
    st.one_of(
        st.just(""),
        st.lists(
            st.tuples(
                st.one_of(st.sampled_from(["utm_source", "amp", "outputType", "id", "q", "a+b"]), _segment),
                st.one_of(st.none(), _segment, st.just("amp")),
            ),
            max_size=4,
        ).map(lambda pairs: "?" + "&".join(k if v is None else f"{k}={v}" for k, v in pairs)),
    ),
    st.sampled_from(["", "#x", "#"]),
)


@settings(max_examples=400, deadline=None)
@given(_urls)
def test_normalize_url_is_idempotent(url):
    try:
        once = normalize_url(url)
    except ValueError:
        return
    assert normalize_url(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_normalize_url_never_crashes_on_arbitrary_text(text):
    try:
        once = normalize_url(text)
    except ValueError:
        return
    assert normalize_url(once) == once
