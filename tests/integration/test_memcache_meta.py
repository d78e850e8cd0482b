"""memcached meta protocol (mn me mg ms md ma), memcached 1.6.18 exact bytes.

Every test here must pass against real memcached:

    MC_REFERENCE=1 python3 -m pytest tests/integration/test_memcache_meta.py

Raw.req() appends "mn" and returns the bytes before "MN\\r\\n", which is also
how quiet mode (q) is meant to be used.  Return flags come back in the order
they were requested; the W/X/Z state flags are appended after them in the
order Z, X, W.  TTLs are checked as ranges (memcached's clock ticks once a
second), everything else byte for byte.
"""
import base64

from mc_support import mc, mc_factory, requires_mc, parse_meta_flags  # noqa: F401

pytestmark = requires_mc


def cas_of(c, key):
    code, fl = parse_meta_flags(c.req(b"mg " + key + b" c\r\n"))
    assert code == "HD"
    return int(dict(fl)["c"])


def ttl_of(c, key):
    code, fl = parse_meta_flags(c.req(b"mg " + key + b" t\r\n"))
    assert code == "HD"
    return int(dict(fl)["t"])


# ------------------------------------------------------------------ mn / me

def test_mn(mc):
    with mc.raw() as c:
        c.send(b"mn\r\n")
        assert c.read_line() == b"MN\r\n"
        c.send(b"mn\r\nmn\r\nmn\r\n")
        assert c.read_exact(12) == b"MN\r\n" * 3


def test_me_debug(mc):
    def fields(out, key):
        assert out.startswith(b"ME " + key + b" ") and out.endswith(b"\r\n"), out
        return dict(kv.split(b"=", 1) for kv in out[len(b"ME " + key + b" "):-2].split(b" "))

    with mc.raw() as c:
        assert c.req(b"me nosuch\r\n") == b"EN\r\n"
        c.req(b"ms dbg 3\r\nabc\r\n")
        f = fields(c.req(b"me dbg\r\n"), b"dbg")
        for name in (b"exp", b"la", b"cas", b"fetch", b"cls", b"size"):
            assert name in f, (name, f)
        assert f[b"exp"] == b"-1"                      # no TTL
        assert f[b"fetch"] == b"no"                    # not read yet
        assert int(f[b"la"]) >= 0 and int(f[b"cls"]) >= 0 and int(f[b"size"]) > 0
        assert f[b"cas"] == b"%d" % cas_of(c, b"dbg")  # (this mg counts as a fetch)
        f = fields(c.req(b"me dbg\r\n"), b"dbg")
        assert f[b"fetch"] == b"yes"
        # memcached 1.6.18 prints exp as (now - exptime), i.e. minus the
        # remaining TTL; accept either sign of the right magnitude.
        c.req(b"ms dbg2 1 T100\r\nx\r\n")
        f = fields(c.req(b"me dbg2\r\n"), b"dbg2")
        assert 99 <= abs(int(f[b"exp"])) <= 100, f


# ----------------------------------------------------------------------- mg

def test_mg_basic(mc):
    with mc.raw() as c:
        assert c.req(b"mg nosuch\r\n") == b"EN\r\n"
        assert c.req(b"mg nosuch v\r\n") == b"EN\r\n"
        assert c.req(b"ms foo 3 F5\r\nbar\r\n") == b"HD\r\n"
        assert c.req(b"mg foo\r\n") == b"HD\r\n"
        assert c.req(b"mg foo v\r\n") == b"VA 3\r\nbar\r\n"
        assert c.req(b"mg foo s\r\n") == b"HD s3\r\n"
        assert c.req(b"mg foo f\r\n") == b"HD f5\r\n"
        assert c.req(b"mg foo t\r\n") == b"HD t-1\r\n"
        assert c.req(b"mg foo k\r\n") == b"HD kfoo\r\n"


def test_mg_flags_in_request_order(mc):
    with mc.raw() as c:
        c.req(b"ms foo 3 F5\r\nbar\r\n")
        cas = cas_of(c, b"foo")
        assert c.req(b"mg foo k v t f c s\r\n") == b"VA 3 kfoo t-1 f5 c%d s3\r\nbar\r\n" % cas
        assert c.req(b"mg foo s c f t v k\r\n") == b"VA 3 s3 c%d f5 t-1 kfoo\r\nbar\r\n" % cas
        assert c.req(b"mg foo O123 k\r\n") == b"HD O123 kfoo\r\n"
        # the c from mg equals the one from gets
        out = c.req(b"gets foo\r\n")
        assert out == b"VALUE foo 5 3 %d\r\nbar\r\nEND\r\n" % cas


def test_mg_hit_and_last_access(mc):
    with mc.raw() as c:
        c.req(b"ms hh 1\r\nx\r\n")
        assert c.req(b"mg hh h l\r\n") == b"HD h0 l0\r\n"   # values before this access
        assert c.req(b"mg hh h l\r\n") == b"HD h1 l0\r\n"
        # u: no LRU bump, not marked as fetched
        c.req(b"ms hu 1\r\nx\r\n")
        assert c.req(b"mg hu u h\r\n") == b"HD h0\r\n"
        assert c.req(b"mg hu h\r\n") == b"HD h0\r\n"
        assert c.req(b"mg hu h\r\n") == b"HD h1\r\n"


def test_mg_ttl_and_touch(mc):
    with mc.raw() as c:
        c.req(b"ms t 1 T100\r\nx\r\n")
        assert ttl_of(c, b"t") in (99, 100)
        code, fl = parse_meta_flags(c.req(b"mg t T500 t\r\n"))   # T updates, t reports
        assert code == "HD" and int(dict(fl)["t"]) in (499, 500)
        assert ttl_of(c, b"t") in (499, 500)
        c.req(b"mg t T0\r\n")
        assert ttl_of(c, b"t") == -1
        assert c.req(b"mg nosuch T100 t\r\n") == b"EN\r\n"


def test_mg_opaque_and_key_on_miss(mc):
    with mc.raw() as c:
        assert c.req(b"mg miss k O1\r\n") == b"EN kmiss O1\r\n"
        assert c.req(b"mg miss O1 k v\r\n") == b"EN O1 kmiss\r\n"
        assert c.req(b"mg miss t f c s v\r\n") == b"EN\r\n"
        o31 = b"o" * 31
        c.req(b"ms k 1\r\nx\r\n")
        assert c.req(b"mg k O" + o31 + b"\r\n") == b"HD O" + o31 + b"\r\n"
        assert c.req(b"mg k O" + o31 + b"x\r\n") == b"CLIENT_ERROR opaque token too long\r\n"


def test_mg_quiet_mode(mc):
    with mc.raw() as c:
        c.req(b"ms a 1\r\nA\r\nms b 1\r\nB\r\n")
        # q hides only the miss (EN); hits are answered as usual
        out = c.req(b"mg a q v k O1\r\nmg nosuch q v k O2\r\nmg b q v k O3\r\n")
        assert out == b"VA 1 ka O1\r\nA\r\nVA 1 kb O3\r\nB\r\n"
        assert c.req(b"mg nosuch q\r\n") == b""
        assert c.req(b"mg a q\r\n") == b"HD\r\n"
        assert c.req(b"mg a q k\r\n") == b"HD ka\r\n"
        # errors are never hidden
        assert c.req(b"mg a q zz\r\n") == b"CLIENT_ERROR invalid flag\r\n"


def test_mg_base64_keys(mc):
    with mc.raw() as c:
        b64 = base64.b64encode(b"foobar")                  # Zm9vYmFy
        assert c.req(b"ms " + b64 + b" 3 b k\r\nabc\r\n") == b"HD k" + b64 + b" b\r\n"
        assert c.req(b"mg " + b64 + b" b v\r\n") == b"VA 3\r\nabc\r\n"
        assert c.req(b"mg foobar v\r\n") == b"VA 3\r\nabc\r\n"   # same key, decoded
        # a binary key
        bk = base64.b64encode(b"\x00\x01\x02\xff\r\n ")
        assert c.req(b"mg " + bk + b" b v k\r\n") == b"EN k" + bk + b" b\r\n"
        assert c.req(b"ms " + bk + b" 1 b k O1\r\nx\r\n") == b"HD k" + bk + b" b O1\r\n"
        assert c.req(b"mg " + bk + b" b v k O2\r\n") == b"VA 1 k" + bk + b" b O2\r\nx\r\n"
        assert c.req(b"md " + bk + b" b\r\n") == b"HD\r\n"
        assert c.req(b"mg " + bk + b" b v\r\n") == b"EN\r\n"
        # "b" is echoed only right after a returned key (k), wherever b was asked
        assert c.req(b"ms " + b64 + b" 3 b\r\nabc\r\n") == b"HD\r\n"
        assert c.req(b"mg " + b64 + b" b\r\n") == b"HD\r\n"
        assert c.req(b"mg " + b64 + b" k b\r\n") == b"HD k" + b64 + b" b\r\n"
        assert c.req(b"mg " + b64 + b" b O1 k\r\n") == b"HD O1 k" + b64 + b" b\r\n"
        assert c.req(b"md " + b64 + b" b q\r\n") == b""
        assert c.req(b"ma " + b64 + b" b\r\n") == b"NF\r\n"
        for bad in (b"Zm9v=", b"!!!!"):
            assert c.req(b"mg " + bad + b" b v\r\n") == b"CLIENT_ERROR error decoding key\r\n"


def test_mg_vivify_on_miss(mc):
    with mc.raw() as c:
        out = c.req(b"mg viv N30 v c t s k O1\r\n")
        code, fl = parse_meta_flags(out.split(b"\r\n")[0])
        assert code == "VA" and out.endswith(b"\r\n\r\n")      # empty data block
        d = dict(fl)
        assert [n for n, _ in fl] == ["size", "c", "t", "s", "k", "O", "W"], out
        assert d["size"] == "0" and d["s"] == "0" and d["k"] == "viv" and d["O"] == "1"
        assert int(d["t"]) in (29, 30)
        cas = d["c"]
        # the next client sees the empty placeholder and Z (someone else is recaching)
        assert c.req(b"mg viv N30 v c\r\n") == b"VA 0 c%s Z\r\n\r\n" % cas.encode()
        assert c.req(b"mg viv\r\n") == b"HD Z\r\n"
        # the winner stores the real value: flags clear
        assert c.req(b"ms viv 4 T0\r\nreal\r\n") == b"HD\r\n"
        assert c.req(b"mg viv N30 v\r\n") == b"VA 4\r\nreal\r\n"


def test_mg_recache_flag(mc):
    with mc.raw() as c:
        c.req(b"ms r 1 T100\r\nx\r\n")
        assert c.req(b"mg r R10 v\r\n") == b"VA 1\r\nx\r\n"        # TTL 100 >= 10: no win
        assert c.req(b"mg r R1000 v\r\n") == b"VA 1 W\r\nx\r\n"    # TTL below 1000: win
        assert c.req(b"mg r R1000 v\r\n") == b"VA 1 Z\r\nx\r\n"
        assert c.req(b"mg r\r\n") == b"HD Z\r\n"


def test_invalidate_and_stale(mc):
    with mc.raw() as c:
        c.req(b"ms x 1 T0\r\n1\r\n")
        old = cas_of(c, b"x")
        assert c.req(b"md x I T30\r\n") == b"HD\r\n"
        code, fl = parse_meta_flags(c.req(b"mg x c t\r\n"))
        d = dict(fl)
        assert code == "HD" and [n for n, _ in fl] == ["c", "t", "X", "W"]
        assert int(d["c"]) != old and int(d["t"]) in (29, 30)
        new = int(d["c"])
        # stale data is still served; later readers get Z X
        assert c.req(b"mg x v c\r\n") == b"VA 1 c%d Z X\r\n1\r\n" % new
        # a cas against the old token is refused
        assert c.req(b"ms x 1 C%d\r\n2\r\n" % old) == b"EX\r\n"
        # a normal store clears the stale state
        assert c.req(b"ms x 1\r\n3\r\n") == b"HD\r\n"
        assert c.req(b"mg x v\r\n") == b"VA 1\r\n3\r\n"
        # md I on a missing key
        assert c.req(b"md nosuch I\r\n") == b"NF\r\n"


def test_ms_invalidate_with_older_cas(mc):
    with mc.raw() as c:
        for i in range(3):                          # make sure cas - 1 > 0
            c.req(b"ms c1 1\r\nx\r\n")
        cur = cas_of(c, b"c1")
        # I + C lower than the current cas: stored, but marked stale
        assert c.req(b"ms c1 1 I C%d\r\ny\r\n" % (cur - 1)) == b"HD\r\n"
        code, fl = parse_meta_flags(c.req(b"mg c1 v\r\n").split(b"\r\n")[0])
        assert [n for n, _ in fl] == ["size", "X", "W"]
        assert c.req(b"mg c1 v\r\n") == b"VA 1 Z X\r\ny\r\n"
        # I + C higher than the current cas: EX
        assert c.req(b"ms c1 1 I C%d\r\nz\r\n" % (cur + 100000)) == b"EX\r\n"


def test_mg_errors(mc):
    with mc.raw() as c:
        c.req(b"ms k 1\r\nx\r\n")
        assert c.req(b"mg\r\n") == b"ERROR\r\n"
        assert c.req(b"mg k zz\r\n") == b"CLIENT_ERROR invalid flag\r\n"
        assert c.req(b"mg k !\r\n") == b"CLIENT_ERROR invalid flag\r\n"
        assert c.req(b"mg k v v\r\n") == b"CLIENT_ERROR duplicate flag\r\n"
        assert c.req(b"mg k Tabc\r\n") == b"CLIENT_ERROR bad token in command line format\r\n"
        assert c.req(b"mg k Nabc\r\n") == b"CLIENT_ERROR bad token in command line format\r\n"
        assert c.req(b"mg " + b"k" * 251 + b" v\r\n") == b"CLIENT_ERROR bad command line format\r\n"
        # P and L (proxy hints) are ignored
        assert c.req(b"mg k P L v\r\n") == b"VA 1\r\nx\r\n"
        assert c.req(b"mg k Pfoo Lbar v\r\n") == b"VA 1\r\nx\r\n"
    mc.assert_healthy()


# ----------------------------------------------------------------------- ms

def test_ms_basic_flags(mc):
    with mc.raw() as c:
        out = c.req(b"ms k1 3 c k O9 F7 T100\r\nabc\r\n")
        code, fl = parse_meta_flags(out)
        assert code == "HD" and [n for n, _ in fl] == ["c", "k", "O"]
        d = dict(fl)
        assert d["k"] == "k1" and d["O"] == "9"
        assert int(d["c"]) == cas_of(c, b"k1")
        out = c.req(b"mg k1 v f t\r\n")
        code, fl = parse_meta_flags(out.split(b"\r\n")[0])
        assert code == "VA" and dict(fl)["f"] == "7" and int(dict(fl)["t"]) in (99, 100)
        assert out.endswith(b"\r\nabc\r\n")
        # F defaults to 0, T to no expiry
        assert c.req(b"ms k1 2\r\nxy\r\n") == b"HD\r\n"
        assert c.req(b"mg k1 f t v\r\n") == b"VA 2 f0 t-1\r\nxy\r\n"
        assert c.req(b"ms k1 1 F4294967295\r\nz\r\n") == b"HD\r\n"
        assert c.req(b"get k1\r\n") == b"VALUE k1 4294967295 1\r\nz\r\nEND\r\n"
        # binary payload with CR LF inside, zero length
        assert c.req(b"ms bin 4\r\n\r\n\x00\xff\r\n") == b"HD\r\n"
        assert c.req(b"mg bin v\r\n") == b"VA 4\r\n\r\n\x00\xff\r\n"
        assert c.req(b"ms empty 0\r\n\r\n") == b"HD\r\n"
        assert c.req(b"mg empty v s\r\n") == b"VA 0 s0\r\n\r\n"
        # negative TTL: stored already expired
        assert c.req(b"ms gone 1 T-1\r\nx\r\n") == b"HD\r\n"
        assert c.req(b"mg gone v\r\n") == b"EN\r\n"


def test_ms_modes(mc):
    with mc.raw() as c:
        c.req(b"ms k1 3\r\nabc\r\n")
        # E: add
        assert c.req(b"ms k1 2 ME\r\nxx\r\n") == b"NS\r\n"
        assert c.req(b"ms k2 2 ME\r\nxx\r\n") == b"HD\r\n"
        # R: replace
        assert c.req(b"ms k3 2 MR\r\nxx\r\n") == b"NS\r\n"
        assert c.req(b"mg k3\r\n") == b"EN\r\n"
        assert c.req(b"ms k2 2 MR\r\nyy\r\n") == b"HD\r\n"
        # A / P: append / prepend
        assert c.req(b"ms k2 2 MA\r\nAA\r\nms k2 2 MP\r\nPP\r\n") == b"HD\r\nHD\r\n"
        assert c.req(b"mg k2 v\r\n") == b"VA 6\r\nPPyyAA\r\n"
        assert c.req(b"ms k9 2 MA\r\nAA\r\n") == b"NS\r\n"
        assert c.req(b"ms k9 2 MP\r\nAA\r\n") == b"NS\r\n"
        # S: set
        assert c.req(b"ms k2 2 MS\r\nss\r\n") == b"HD\r\n"
        assert c.req(b"mg k2 v\r\n") == b"VA 2\r\nss\r\n"
        # mode tokens are upper case
        assert c.req(b"ms k4 1 Me\r\nq\r\n") == b"CLIENT_ERROR invalid mode for ms M token\r\n"


def test_ms_mode_errors_swallow_data(mc):
    with mc.raw() as c:
        # the data block of a rejected ms is swallowed (no ERROR for it)
        assert c.req(b"ms k 2 Mx\r\nss\r\n") == b"CLIENT_ERROR invalid mode for ms M token\r\n"
        assert c.req(b"ms k 2 MEE\r\nss\r\n") == b"CLIENT_ERROR incorrect length for M token\r\n"
        assert c.req(b"ms k 2 Z\r\nss\r\n") == b"CLIENT_ERROR invalid flag\r\n"
        assert c.req(b"ms k 1 Fabc\r\nx\r\n") == b"CLIENT_ERROR bad command line format\r\n"
        assert c.req(b"ms k 1 Tabc\r\nx\r\n") == b"CLIENT_ERROR bad token in command line format\r\n"
        assert c.req(b"ms k 1 Cabc\r\nx\r\n") == b"CLIENT_ERROR bad token in command line format\r\n"
        assert c.req(b"mg k\r\n") == b"EN\r\n"
    mc.assert_healthy()


def test_ms_bad_length(mc):
    with mc.raw() as c:
        # without a usable length the data line is read as a command
        assert c.req(b"ms k S2\r\nss\r\n") == b"CLIENT_ERROR bad command line format\r\nERROR\r\n"
        assert c.req(b"ms k\r\n") == b"CLIENT_ERROR bad command line format\r\n"
        assert c.req(b"ms k abc\r\n") == b"CLIENT_ERROR bad command line format\r\n"
        assert c.req(b"ms k -1\r\n") == b"CLIENT_ERROR bad command line format\r\n"
        # wrong length: bad data chunk, then the rest is parsed as a command
        assert c.req(b"ms k 2\r\nabc\r\n") == b"CLIENT_ERROR bad data chunk\r\nERROR\r\n"
        assert c.req(b"ms k 2 q\r\nabc\r\n") == b"CLIENT_ERROR bad data chunk\r\nERROR\r\n"
        assert c.req(b"ms " + b"k" * 251 + b" 1\r\nx\r\n") == \
            b"CLIENT_ERROR bad command line format\r\nERROR\r\n"
        assert c.req(b"mg k\r\n") == b"EN\r\n"
    mc.assert_healthy()


def test_ms_too_large(mc):
    n = 2 * 1024 * 1024
    with mc.raw() as c:
        assert c.req(b"ms big %d\r\n" % n + b"v" * n + b"\r\n") == \
            b"SERVER_ERROR object too large for cache\r\n"
        # q does not hide errors
        assert c.req(b"ms big %d q\r\n" % n + b"v" * n + b"\r\n") == \
            b"SERVER_ERROR object too large for cache\r\n"
        assert c.req(b"mg big\r\n") == b"EN\r\n"
    mc.assert_healthy()


def test_ms_compare_cas(mc):
    with mc.raw() as c:
        assert c.req(b"ms nok 2 C1\r\nhi\r\n") == b"NF\r\n"
        code, fl = parse_meta_flags(c.req(b"ms k 1 c\r\nx\r\n"))
        cas = int(dict(fl)["c"])
        assert c.req(b"ms k 1 C%d\r\ny\r\n" % (cas + 1)) == b"EX\r\n"
        assert c.req(b"mg k v\r\n") == b"VA 1\r\nx\r\n"
        code, fl = parse_meta_flags(c.req(b"ms k 1 C%d c\r\ny\r\n" % cas))
        assert code == "HD" and int(dict(fl)["c"]) not in (0, cas)
        assert c.req(b"mg k v\r\n") == b"VA 1\r\ny\r\n"
        assert c.req(b"ms k 1 C%d\r\nz\r\n" % cas) == b"EX\r\n"       # old token
        # append mode also respects C
        cur = cas_of(c, b"k")
        assert c.req(b"ms k 1 MA C%d\r\n!\r\n" % (cur + 7)) == b"EX\r\n"
        assert c.req(b"ms k 1 MA C%d\r\n!\r\n" % cur) == b"HD\r\n"
        assert c.req(b"mg k v\r\n") == b"VA 2\r\ny!\r\n"


def test_ms_quiet_mode(mc):
    with mc.raw() as c:
        # q hides HD only
        assert c.req(b"ms k 2 q\r\nss\r\n") == b""
        assert c.req(b"ms k 2 q ME\r\nss\r\n") == b"NS\r\n"
        assert c.req(b"ms nok 2 q MR O5\r\nzz\r\n") == b"NS O5\r\n"
        assert c.req(b"ms k 2 q C%d\r\nzz\r\n" % (cas_of(c, b"k") + 1000)) == b"EX\r\n"
        assert c.req(b"ms nok 2 q C1\r\nzz\r\n") == b"NF\r\n"
        assert c.req(b"ms k 2 q Z\r\nzz\r\n") == b"CLIENT_ERROR invalid flag\r\n"
        assert c.req(b"mg k v\r\n") == b"VA 2\r\nss\r\n"


# ----------------------------------------------------------------------- md

def test_md(mc):
    with mc.raw() as c:
        assert c.req(b"ms d1 1\r\n1\r\nmd d1\r\nmd d1\r\n") == b"HD\r\nHD\r\nNF\r\n"
        assert c.req(b"mg d1\r\n") == b"EN\r\n"
        c.req(b"ms d1 1\r\n1\r\n")
        assert c.req(b"md d1 k O5\r\n") == b"HD kd1 O5\r\n"
        assert c.req(b"md d1 k O6\r\n") == b"NF kd1 O6\r\n"
        # C compare
        code, fl = parse_meta_flags(c.req(b"ms d2 1 c\r\n1\r\n"))
        cas = int(dict(fl)["c"])
        assert c.req(b"md d2 C%d\r\n" % (cas + 1)) == b"EX\r\n"
        assert c.req(b"mg d2 v\r\n") == b"VA 1\r\n1\r\n"
        assert c.req(b"md d2 C%d\r\n" % cas) == b"HD\r\n"
        assert c.req(b"mg d2\r\n") == b"EN\r\n"


def test_md_quiet_and_errors(mc):
    with mc.raw() as c:
        c.req(b"ms d1 1\r\n1\r\nms d2 1\r\n1\r\n")
        # q hides HD; NF and EX are still sent
        assert c.req(b"md d1 q\r\n") == b""
        assert c.req(b"md d1 q\r\n") == b"NF\r\n"
        assert c.req(b"md d2 q C1\r\n") == b"EX\r\n"
        assert c.req(b"md d1 q k O7\r\n") == b"NF kd1 O7\r\n"
        assert c.req(b"md d2 zz\r\n") == b"CLIENT_ERROR invalid or duplicate flag\r\n"
        assert c.req(b"md\r\n") == b"ERROR\r\n"
        assert c.req(b"md " + b"k" * 251 + b"\r\n") == b"CLIENT_ERROR bad command line format\r\n"
        assert c.req(b"mg d2 v\r\n") == b"VA 1\r\n1\r\n"


# ----------------------------------------------------------------------- ma

def test_ma_basic(mc):
    with mc.raw() as c:
        assert c.req(b"ma n1\r\n") == b"NF\r\n"
        assert c.req(b"ma n1 N0\r\n") == b"HD\r\n"            # created with J (default 0)
        assert c.req(b"mg n1 v\r\n") == b"VA 1\r\n0\r\n"
        assert c.req(b"ma n1 v\r\n") == b"VA 1\r\n1\r\n"       # default delta 1
        assert c.req(b"ma n1 v D10\r\n") == b"VA 2\r\n11\r\n"
        assert c.req(b"ma n1 v MD D3\r\n") == b"VA 1\r\n8\r\n"
        assert c.req(b"ma n1 v M- D100\r\n") == b"VA 1\r\n0\r\n"  # floors at 0
        assert c.req(b"ma n1 v M+ D5\r\n") == b"VA 1\r\n5\r\n"
        assert c.req(b"ma n1 v MI\r\n") == b"VA 1\r\n6\r\n"
        assert c.req(b"ma n1\r\n") == b"HD\r\n"
        assert c.req(b"ma n1 v D0\r\n") == b"VA 1\r\n7\r\n"
        # (after a shrink memcached may space-pad the stored digits: "7 ")
        out = c.req(b"mg n1 v\r\n")
        assert out.startswith(b"VA ") and out.split(b"\r\n")[1].rstrip(b" ") == b"7"
        assert c.req(b"ma n1 k O3 v\r\n") == b"VA 1 kn1 O3\r\n8\r\n"
        assert c.req(b"ma nok k O3 v\r\n") == b"NF knok O3\r\n"


def test_ma_autovivify_initial(mc):
    with mc.raw() as c:
        # the initial value is returned as is (no delta on creation)
        assert c.req(b"ma n2 N0 J42 v\r\n") == b"VA 2\r\n42\r\n"
        assert c.req(b"ma n2 N0 J42 v\r\n") == b"VA 2\r\n43\r\n"
        out = c.req(b"ma n3 N100 J7 v t\r\n")
        code, fl = parse_meta_flags(out.split(b"\r\n")[0])
        assert code == "VA" and int(dict(fl)["t"]) in (99, 100) and out.endswith(b"\r\n7\r\n")
        assert c.req(b"ma n4 N0 J5 MD v\r\n") == b"VA 1\r\n5\r\n"


def test_ma_wrap_ttl_cas(mc):
    with mc.raw() as c:
        c.req(b"ms big 20\r\n18446744073709551615\r\n")
        assert c.req(b"ma big v\r\n") == b"VA 1\r\n0\r\n"
        c.req(b"ms f5 1 F5 T100\r\n5\r\n")
        old = cas_of(c, b"f5")
        code, fl = parse_meta_flags(c.req(b"ma f5 c\r\n"))
        new = int(dict(fl)["c"])
        assert code == "HD" and new != old and new == cas_of(c, b"f5")
        assert c.req(b"mg f5 f v\r\n") == b"VA 1 f5\r\n6\r\n"   # flags kept
        assert ttl_of(c, b"f5") in (99, 100)
        assert c.req(b"ma f5 C%d v\r\n" % old) == b"EX\r\n"
        assert c.req(b"ma f5 C%d v\r\n" % new) == b"VA 1\r\n7\r\n"
        # T updates the TTL on success
        assert c.req(b"ma f5 T500\r\n") == b"HD\r\n"
        assert ttl_of(c, b"f5") in (499, 500)


def test_ma_quiet(mc):
    with mc.raw() as c:
        c.req(b"ms n 1\r\n1\r\n")
        # memcached 1.6.18: q hides success, even the VA reply of v
        assert c.req(b"ma n q\r\n") == b""
        assert c.req(b"ma n q v\r\n") == b""
        assert c.req(b"mg n v\r\n") == b"VA 1\r\n3\r\n"
        assert c.req(b"ma nosuch q\r\n") == b"NF\r\n"
        assert c.req(b"ma n q C1\r\n") == b"EX\r\n"


def test_ma_errors(mc):
    with mc.raw() as c:
        c.req(b"ms n 1\r\n1\r\nms txt 3\r\nabc\r\n")
        assert c.req(b"ma txt\r\n") == \
            b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
        assert c.req(b"ma n Mx\r\n") == b"CLIENT_ERROR invalid mode for ma M token\r\n"
        for bad in (b"Dabc", b"D-1", b"D18446744073709551616", b"zz", b"N0 Jabc"):
            assert c.req(b"ma n " + bad + b"\r\n") == b"CLIENT_ERROR invalid or duplicate flag\r\n", bad
        assert c.req(b"ma\r\n") == b"ERROR\r\n"
        assert c.req(b"ma " + b"k" * 251 + b"\r\n") == b"CLIENT_ERROR bad command line format\r\n"
        assert c.req(b"mg n v\r\n") == b"VA 1\r\n1\r\n"


# ------------------------------------------------------------ mixed usage

def test_meta_and_text_share_items(mc):
    with mc.raw() as c:
        c.req(b"set t 9 0 3\r\nabc\r\n")
        assert c.req(b"mg t v f\r\n") == b"VA 3 f9\r\nabc\r\n"
        c.req(b"ms m 3 F4\r\nxyz\r\n")
        assert c.req(b"get m\r\n") == b"VALUE m 4 3\r\nxyz\r\nEND\r\n"
        assert c.req(b"gets m\r\n") == b"VALUE m 4 3 %d\r\nxyz\r\nEND\r\n" % cas_of(c, b"m")
        assert c.req(b"incr m 1\r\n") == \
            b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
        assert c.req(b"md t\r\ndelete t\r\n") == b"HD\r\nNOT_FOUND\r\n"


def test_pipelined_quiet_multiget(mc):
    with mc.raw() as c:
        sets = b"".join(b"ms k%d 1 q\r\n%d\r\n" % (i, i % 10) for i in range(0, 50, 2))
        assert c.req(sets) == b""
        gets = b"".join(b"mg k%d q v k O%d\r\n" % (i, i) for i in range(50))
        want = b"".join(b"VA 1 kk%d O%d\r\n%d\r\n" % (i, i, i % 10) for i in range(0, 50, 2))
        assert c.req(gets) == want
        dels = b"".join(b"md k%d q\r\n" % i for i in range(0, 50, 2))
        assert c.req(dels) == b""
        assert c.req(gets) == b""
