//! MD5 (RFC 1321), just enough for bucketing: a streaming digest that never
//! allocates, so `bucket(salt, unit)` hashes `salt + ":" + unit` without
//! building the joined string. MD5 is used here as a fixed, portable hash
//! named by the bucketing contract, not for security.

const S: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15,
    21,
];

const K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8,
    0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
    0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87,
    0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
    0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039,
    0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
    0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391,
];

const INIT: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

/// A streaming MD5 state.
pub(crate) struct Md5 {
    state: [u32; 4],
    buf: [u8; 64],
    buf_len: usize,
    total_len: u64,
}

impl Md5 {
    pub(crate) fn new() -> Self {
        Md5 { state: INIT, buf: [0; 64], buf_len: 0, total_len: 0 }
    }

    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.total_len = self.total_len.wrapping_add(data.len() as u64);
        if self.buf_len > 0 {
            let take = (64 - self.buf_len).min(data.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
            if self.buf_len < 64 {
                return;
            }
            let block = self.buf;
            compress(&mut self.state, &block);
            self.buf_len = 0;
        }
        let mut chunks = data.chunks_exact(64);
        for block in &mut chunks {
            let mut b = [0u8; 64];
            b.copy_from_slice(block);
            compress(&mut self.state, &b);
        }
        let rest = chunks.remainder();
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
    }

    pub(crate) fn finish(mut self) -> [u8; 16] {
        let bit_len = self.total_len.wrapping_mul(8);
        self.update(&[0x80]);
        while self.buf_len != 56 {
            self.update(&[0]);
        }
        self.update(&bit_len.to_le_bytes());
        let mut out = [0u8; 16];
        for (i, w) in self.state.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
        }
        out
    }
}

/// One MD5 block, the 64 steps unrolled: the loop form with a `match` per
/// step measured about 25% slower, and bucketing is the hot path of every
/// rollout and split.
fn compress(state: &mut [u32; 4], block: &[u8; 64]) {
    let mut m = [0u32; 16];
    for (i, w) in m.iter_mut().enumerate() {
        *w = u32::from_le_bytes([block[i * 4], block[i * 4 + 1], block[i * 4 + 2], block[i * 4 + 3]]);
    }
    let [mut a, mut b, mut c, mut d] = *state;
    macro_rules! step {
        ($f:expr, $a:ident, $b:ident, $c:ident, $d:ident, $i:expr, $g:expr) => {
            $a = $b.wrapping_add(
                $f($b, $c, $d).wrapping_add($a).wrapping_add(K[$i]).wrapping_add(m[$g]).rotate_left(S[$i]),
            );
        };
    }
    let f = |x: u32, y: u32, z: u32| (x & y) | (!x & z);
    let g = |x: u32, y: u32, z: u32| (x & z) | (y & !z);
    let h = |x: u32, y: u32, z: u32| x ^ y ^ z;
    let i = |x: u32, y: u32, z: u32| y ^ (x | !z);
    macro_rules! round {
        ($fun:ident, $base:expr, $g0:expr, $gm:expr) => {
            step!($fun, a, b, c, d, $base, ($g0) % 16);
            step!($fun, d, a, b, c, $base + 1, ($g0 + $gm) % 16);
            step!($fun, c, d, a, b, $base + 2, ($g0 + 2 * $gm) % 16);
            step!($fun, b, c, d, a, $base + 3, ($g0 + 3 * $gm) % 16);
            step!($fun, a, b, c, d, $base + 4, ($g0 + 4 * $gm) % 16);
            step!($fun, d, a, b, c, $base + 5, ($g0 + 5 * $gm) % 16);
            step!($fun, c, d, a, b, $base + 6, ($g0 + 6 * $gm) % 16);
            step!($fun, b, c, d, a, $base + 7, ($g0 + 7 * $gm) % 16);
            step!($fun, a, b, c, d, $base + 8, ($g0 + 8 * $gm) % 16);
            step!($fun, d, a, b, c, $base + 9, ($g0 + 9 * $gm) % 16);
            step!($fun, c, d, a, b, $base + 10, ($g0 + 10 * $gm) % 16);
            step!($fun, b, c, d, a, $base + 11, ($g0 + 11 * $gm) % 16);
            step!($fun, a, b, c, d, $base + 12, ($g0 + 12 * $gm) % 16);
            step!($fun, d, a, b, c, $base + 13, ($g0 + 13 * $gm) % 16);
            step!($fun, c, d, a, b, $base + 14, ($g0 + 14 * $gm) % 16);
            step!($fun, b, c, d, a, $base + 15, ($g0 + 15 * $gm) % 16);
        };
    }
    round!(f, 0, 0, 1);
    round!(g, 16, 1, 5);
    round!(h, 32, 5, 3);
    round!(i, 48, 0, 7);
    state[0] = state[0].wrapping_add(a);
    state[1] = state[1].wrapping_add(b);
    state[2] = state[2].wrapping_add(c);
    state[3] = state[3].wrapping_add(d);
}

/// The first 4 bytes of MD5(`a` ++ `b` ++ `c`) as a big-endian u32 (what
/// bucketing reads). Inputs up to 55 bytes, almost every `salt:unit`, are
/// hashed as one padded block on the stack, skipping the streaming state.
pub(crate) fn md5_prefix_u32(a: &[u8], b: &[u8], c: &[u8]) -> u32 {
    let len = a.len() + b.len() + c.len();
    let digest_a = if len <= 55 {
        let mut block = [0u8; 64];
        block[..a.len()].copy_from_slice(a);
        block[a.len()..a.len() + b.len()].copy_from_slice(b);
        block[a.len() + b.len()..len].copy_from_slice(c);
        block[len] = 0x80;
        block[56..].copy_from_slice(&((len as u64) * 8).to_le_bytes());
        let mut state = INIT;
        compress(&mut state, &block);
        state[0]
    } else {
        let mut h = Md5::new();
        h.update(a);
        h.update(b);
        h.update(c);
        let d = h.finish();
        u32::from_le_bytes([d[0], d[1], d[2], d[3]])
    };
    // The digest's first word is stored little-endian; the hex prefix reads it big-endian.
    digest_a.swap_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(data: &[u8]) -> String {
        let mut h = Md5::new();
        h.update(data);
        h.finish().iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn rfc1321_suite() {
        assert_eq!(hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hex(b"a"), "0cc175b9c0f1b6a831c399e269772661");
        assert_eq!(hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(hex(b"message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
        assert_eq!(hex(b"abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
        assert_eq!(
            hex(b"12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a"
        );
    }

    #[test]
    fn prefix_fast_path_equals_streaming() {
        for len in 0..130usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let mut h = Md5::new();
            h.update(&data);
            let d = h.finish();
            let want = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
            let (x, rest) = data.split_at(len / 3);
            let (y, z) = rest.split_at(rest.len() / 2);
            assert_eq!(md5_prefix_u32(x, y, z), want, "len {len}");
        }
    }

    #[test]
    fn streaming_equals_one_shot() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 % 256) as u8).collect();
        for split in [0, 1, 55, 56, 63, 64, 65, 128, 200, 300] {
            let mut h = Md5::new();
            h.update(&data[..split]);
            h.update(&data[split..]);
            assert_eq!(h.finish().iter().map(|b| format!("{b:02x}")).collect::<String>(), hex(&data));
        }
    }
}
