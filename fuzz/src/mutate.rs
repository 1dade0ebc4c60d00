//! A small structure-unaware mutator (the usual libFuzzer/AFL havoc operations plus
//! text-number replacements and dictionary tokens), driven by a seeded xorshift generator so
//! that a run is reproducible from its seed.

/// xorshift64* pseudo-random generator.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced by a constant).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % (n.max(1) as u64)) as usize
    }

    /// True with probability 1/n.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// Numbers, as text, that break parsers.
const TEXT_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "2",
    "3",
    "255",
    "256",
    "65535",
    "65536",
    "2147483647",
    "2147483648",
    "-2147483649",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "1e308",
    "1e309",
    "-1e309",
    "1e-320",
    "2.2250738585072014e-308",
    "nan",
    "NaN",
    "-nan",
    "inf",
    "-inf",
    "Infinity",
    "1.",
    ".",
    "-",
    "+",
    "e",
    "1e",
    "1e+",
    "0x10",
    "1,5",
    "1.5.5",
    "1000000000",
];

/// Binary integers that break parsers (little endian as written).
const BIN_U32: &[u32] = &[
    0,
    1,
    2,
    3,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    0xffff_ffff,
    1_000_000_000,
];

/// Largest input the mutator produces.
pub const MAX_LEN: usize = 1 << 20;

/// Applies 1–8 random mutations to `data`. `other` is another pool input for splicing.
pub fn mutate(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8], dict: &[&str]) {
    let rounds = 1 + rng.below(8);
    for _ in 0..rounds {
        mutate_once(rng, data, other, dict);
    }
    data.truncate(MAX_LEN);
}

fn mutate_once(rng: &mut Rng, d: &mut Vec<u8>, other: &[u8], dict: &[&str]) {
    let len = d.len();
    match rng.below(14) {
        // flip a bit
        0 if len > 0 => {
            let i = rng.below(len);
            d[i] ^= 1 << rng.below(8);
        }
        // random byte
        1 if len > 0 => {
            let i = rng.below(len);
            d[i] = rng.next_u64() as u8;
        }
        // insert random bytes
        2 => {
            let i = rng.below(len + 1);
            let n = 1 + rng.below(8);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
            d.splice(i..i, bytes);
        }
        // delete a range
        3 if len > 0 => {
            let i = rng.below(len);
            let span = if rng.one_in(4) { 4096 } else { 16 };
            let n = 1 + rng.below((len - i).min(span));
            d.drain(i..i + n);
        }
        // duplicate a range (repeats lines, entities, nesting)
        4 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(256));
            let chunk = d[i..i + n].to_vec();
            let times = if rng.one_in(8) { 1 + rng.below(64) } else { 1 };
            let at = rng.below(len + 1);
            for _ in 0..times {
                d.splice(at..at, chunk.iter().copied());
            }
        }
        // truncate (files that end in the middle of something)
        5 if len > 0 => {
            d.truncate(rng.below(len));
        }
        // splice a piece of another input
        6 if !other.is_empty() => {
            let i = rng.below(other.len());
            let n = 1 + rng.below((other.len() - i).min(512));
            let at = rng.below(len + 1);
            let end = (at + rng.below(n + 1)).min(len);
            d.splice(at..end, other[i..i + n].iter().copied());
        }
        // overwrite a binary integer
        7 if len >= 4 => {
            let i = rng.below(len - 3);
            let v = BIN_U32[rng.below(BIN_U32.len())];
            let bytes = if rng.one_in(2) {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            };
            d[i..i + 4].copy_from_slice(&bytes);
        }
        // overwrite a binary float
        8 if len >= 4 => {
            let i = rng.below(len - 3);
            let f = [
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::MAX,
                f32::MIN_POSITIVE,
                -0.0,
                1e30,
            ][rng.below(7)];
            d[i..i + 4].copy_from_slice(&f.to_le_bytes());
        }
        // replace a number in text
        9 | 10 if len > 0 => replace_text_number(rng, d),
        // insert a dictionary token
        11 | 12 if !dict.is_empty() => {
            let tok = dict[rng.below(dict.len())].as_bytes();
            let at = next_boundary(d, rng.below(len + 1));
            d.splice(at..at, tok.iter().copied());
        }
        // swap two lines
        _ if len > 0 => swap_lines(rng, d),
        _ => d.push(rng.next_u64() as u8),
    }
}

/// Index just after the next newline at or after `from` (or `from` when there is none).
fn next_boundary(d: &[u8], from: usize) -> usize {
    d.get(from..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
        .map_or(from, |p| from + p + 1)
}

fn replace_text_number(rng: &mut Rng, d: &mut Vec<u8>) {
    let start = rng.below(d.len());
    let is_num =
        |b: u8| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+' || b == b'e' || b == b'E';
    let Some(p) = d[start..].iter().position(|b| b.is_ascii_digit()) else {
        return;
    };
    let mut i = start + p;
    while i > 0 && is_num(d[i - 1]) {
        i -= 1;
    }
    let mut j = start + p;
    while j < d.len() && is_num(d[j]) {
        j += 1;
    }
    let rep = TEXT_NUMBERS[rng.below(TEXT_NUMBERS.len())].as_bytes();
    d.splice(i..j, rep.iter().copied());
}

fn swap_lines(rng: &mut Rng, d: &mut Vec<u8>) {
    let text = std::mem::take(d);
    let mut lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    if lines.len() >= 2 {
        let a = rng.below(lines.len());
        let b = rng.below(lines.len());
        lines.swap(a, b);
    }
    *d = lines.concat();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutation_never_panics_and_stays_bounded() {
        let mut rng = Rng::new(7);
        let mut d = b"solid x\n facet normal 0 0 1\n".to_vec();
        for _ in 0..100_000 {
            mutate(&mut rng, &mut d, b"vertex 1 2 3\n", &["endsolid"]);
            assert!(d.len() <= MAX_LEN);
            if d.len() > 4096 {
                d.truncate(64);
            }
        }
    }
}
