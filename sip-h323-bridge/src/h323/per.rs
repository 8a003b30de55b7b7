//! ASN.1 packed encoding rules, ALIGNED variant (ITU-T X.691), as H.225.0 and H.245 use them:
//! the primitives every message is built from. A [`Writer`] appends bits and a [`Reader`]
//! takes them back, each rule in one place: constrained whole numbers (a bit-field up to 255
//! values, one or two aligned octets up to 65536, a length and octets beyond), length
//! determinants, normally small numbers (choice and enumeration extensions), extension bits and
//! open types, octet, bit and character strings with their size and alphabet constraints, and
//! object identifiers. Reading never panics: running out of bits, a length over its bound or a
//! value outside its range is an [`Error`] naming what was read.

use std::fmt;

/// Why a value could not be read (or written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub what: &'static str,
    pub why: &'static str,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.why)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

fn err<T>(what: &'static str, why: &'static str) -> Result<T> {
    Err(Error { what, why })
}

/// Lengths over this many (16K, where X.691 fragments) are refused: no H.323 message needs one.
pub const MAX_LENGTH: usize = 16383;

/// Bits to hold `range - 1` (the bit-field of a constrained whole number with `range` values).
fn bits_for(range: u64) -> u32 {
    if range <= 1 { 0 } else { 64 - (range - 1).leading_zeros() }
}

/// Octets to hold `v` (at least one).
fn octets_for(v: u64) -> usize {
    (((64 - v.leading_zeros()) as usize).div_ceil(8)).max(1)
}

/// A character alphabet of a known-multiplier string type with its PER effect: each character
/// is written in `bits` bits, as its own value or as its index in the sorted alphabet.
#[derive(Debug, Clone, Copy)]
pub struct Alphabet {
    /// The permitted characters in ascending order.
    pub chars: &'static [u8],
}

impl Alphabet {
    /// IA5String's 128 characters.
    pub const IA5: Alphabet = Alphabet { chars: &IA5_CHARS };

    /// Bits per character in the aligned variant: the bits the alphabet needs, rounded up to a
    /// power of two.
    fn bits(self) -> u32 {
        bits_for(self.chars.len() as u64).next_power_of_two().max(1)
    }

    /// Whether characters are written as their values (when the largest fits) or as indices.
    fn by_value(self) -> bool {
        let b = self.bits();
        self.chars.last().is_some_and(|&c| u64::from(c) < (1u64 << b))
    }
}

const IA5_CHARS: [u8; 128] = {
    let mut a = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        a[i] = i as u8;
        i += 1;
    }
    a
};

/// Appends PER bits, most significant first.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    bytes: Vec<u8>,
    /// Bits used in the last octet (0: it is full, or there is none).
    used: u8,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    /// The encoding: whole octets, the last padded with zero bits.
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }

    /// Bits written so far.
    pub fn bit_len(&self) -> usize {
        self.bytes.len() * 8 - if self.used == 0 { 0 } else { 8 - usize::from(self.used) }
    }

    pub fn bit(&mut self, b: bool) {
        if self.used == 0 {
            self.bytes.push(0);
        }
        if b {
            let last = self.bytes.len() - 1;
            self.bytes[last] |= 0x80 >> self.used;
        }
        self.used = (self.used + 1) % 8;
    }

    /// The `n` low bits of `v`, most significant first.
    pub fn bits(&mut self, v: u64, n: u32) {
        for i in (0..n).rev() {
            self.bit(v >> i & 1 == 1);
        }
    }

    /// Pads with zero bits to the next octet boundary.
    pub fn align(&mut self) {
        self.used = 0;
    }

    pub fn octets(&mut self, o: &[u8]) {
        if self.used == 0 {
            self.bytes.extend_from_slice(o);
        } else {
            for &b in o {
                self.bits(u64::from(b), 8);
            }
        }
    }

    /// A constrained whole number `v` in `lb..=ub` (X.691 10.5).
    pub fn constrained(&mut self, v: i64, lb: i64, ub: i64) {
        debug_assert!(lb <= v && v <= ub, "{v} outside {lb}..={ub}");
        let range = (ub - lb) as u64 + 1;
        let off = (v - lb) as u64;
        match range {
            1 => {}
            2..=255 => self.bits(off, bits_for(range)),
            256 => {
                self.align();
                self.bits(off, 8);
            }
            257..=65536 => {
                self.align();
                self.bits(off, 16);
            }
            _ => {
                // The octets' count as a constrained number, then the octets, aligned.
                let n = octets_for(off);
                self.constrained(n as i64, 1, octets_for(range - 1) as i64);
                self.align();
                self.bits(off, 8 * n as u32);
            }
        }
    }

    /// An unconstrained length determinant (X.691 10.9), aligned.
    pub fn length(&mut self, n: usize) {
        debug_assert!(n <= MAX_LENGTH);
        self.align();
        if n < 128 {
            self.bits(n as u64, 8);
        } else {
            self.bits(0x8000 | n as u64, 16);
        }
    }

    /// A length in `lb..=ub`: nothing when fixed, a constrained number up to 64K, else a
    /// length determinant.
    pub fn sized(&mut self, n: usize, lb: usize, ub: Option<usize>) {
        match ub {
            Some(ub) if ub < 65536 => self.constrained(n as i64, lb as i64, ub as i64),
            _ => self.length(n),
        }
    }

    /// A semi-constrained whole number `v >= lb` (X.691 10.7): a length and the octets.
    pub fn semi_constrained(&mut self, v: u64, lb: u64) {
        let off = v - lb;
        let n = octets_for(off);
        self.length(n);
        self.bits(off, 8 * n as u32);
    }

    /// An unconstrained whole number (X.691 10.8): a length and two's complement octets.
    pub fn unconstrained(&mut self, v: i64) {
        let bytes = v.to_be_bytes();
        // The shortest two's complement form.
        let mut skip = 0;
        while skip < 7 {
            let (a, b) = (bytes[skip], bytes[skip + 1]);
            if (a == 0 && b & 0x80 == 0) || (a == 0xff && b & 0x80 != 0) {
                skip += 1;
            } else {
                break;
            }
        }
        self.length(8 - skip);
        self.octets(&bytes[skip..]);
    }

    /// A normally small non-negative whole number (X.691 10.6): the index of a choice's or an
    /// enumeration's extension, and the size of a sequence's extension bitmap.
    pub fn normally_small(&mut self, n: u64) {
        if n <= 63 {
            self.bit(false);
            self.bits(n, 6);
        } else {
            self.bit(true);
            self.semi_constrained(n, 0);
        }
    }

    /// An open type: the encoding of a value as a length and its octets (extension additions,
    /// a choice's extension alternatives).
    pub fn open(&mut self, encoded: &[u8]) {
        self.length(encoded.len());
        self.octets(encoded);
    }

    /// An OCTET STRING with SIZE (`lb..=ub`) (`ub` None: no upper bound).
    pub fn octet_string(&mut self, o: &[u8], lb: usize, ub: Option<usize>) {
        match ub {
            Some(ub) if lb == ub => {
                if ub > 2 {
                    self.align();
                }
                self.octets(o);
            }
            _ => {
                self.sized(o.len(), lb, ub);
                self.align();
                self.octets(o);
            }
        }
    }

    /// A BIT STRING with SIZE (`lb..=ub`), given as bools.
    pub fn bit_string(&mut self, b: &[bool], lb: usize, ub: Option<usize>) {
        match ub {
            Some(ub) if lb == ub => {
                if ub > 16 {
                    self.align();
                }
            }
            _ => {
                self.sized(b.len(), lb, ub);
                if !b.is_empty() {
                    self.align();
                }
            }
        }
        for &x in b {
            self.bit(x);
        }
    }

    /// A known-multiplier character string (IA5String, NumericString, a FROM(...) alphabet)
    /// with SIZE (`lb..=ub`). Every character must be in the alphabet.
    pub fn char_string(&mut self, s: &[u8], alphabet: Alphabet, lb: usize, ub: Option<usize>) {
        let b = alphabet.bits();
        let fixed = ub.is_some_and(|u| u == lb);
        if !fixed {
            self.sized(s.len(), lb, ub);
        }
        // Aligned unless the longest string fits in 16 bits.
        if ub.is_none_or(|u| u * b as usize > 16) && !s.is_empty() {
            self.align();
        }
        for &c in s {
            let v = if alphabet.by_value() {
                u64::from(c)
            } else {
                alphabet.chars.iter().position(|&a| a == c).unwrap_or(0) as u64
            };
            self.bits(v, b);
        }
    }

    /// A BMPString (16 bits a character) with SIZE (`lb..=ub`).
    pub fn bmp_string(&mut self, s: &[u16], lb: usize, ub: Option<usize>) {
        if ub != Some(lb) {
            self.sized(s.len(), lb, ub);
        }
        if ub.is_none_or(|u| u * 16 > 16) && !s.is_empty() {
            self.align();
        }
        for &c in s {
            self.bits(u64::from(c), 16);
        }
    }

    /// An OBJECT IDENTIFIER: a length and the BER contents octets.
    pub fn object_identifier(&mut self, arcs: &[u32]) {
        let mut body = Vec::new();
        let first = arcs.first().copied().unwrap_or(0) * 40 + arcs.get(1).copied().unwrap_or(0);
        let put = |mut v: u32, out: &mut Vec<u8>| {
            let mut tmp = vec![(v & 0x7f) as u8];
            v >>= 7;
            while v > 0 {
                tmp.push(0x80 | (v & 0x7f) as u8);
                v >>= 7;
            }
            tmp.reverse();
            out.extend(tmp);
        };
        put(first, &mut body);
        for &a in arcs.iter().skip(2) {
            put(a, &mut body);
        }
        self.length(body.len());
        self.octets(&body);
    }
}

/// Takes PER bits back.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    /// The next bit's position.
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    /// Bits left.
    pub fn remaining(&self) -> usize {
        self.data.len() * 8 - self.pos
    }

    pub fn bit(&mut self, what: &'static str) -> Result<bool> {
        if self.pos >= self.data.len() * 8 {
            return err(what, "the message ends before it");
        }
        let b = self.data[self.pos / 8] >> (7 - self.pos % 8) & 1 == 1;
        self.pos += 1;
        Ok(b)
    }

    pub fn bits(&mut self, n: u32, what: &'static str) -> Result<u64> {
        if n > 64 || self.remaining() < n as usize {
            return err(what, "the message ends before it");
        }
        let mut v = 0u64;
        for _ in 0..n {
            v = v << 1 | u64::from(self.bit(what)?);
        }
        Ok(v)
    }

    pub fn align(&mut self) {
        self.pos = self.pos.div_ceil(8) * 8;
    }

    pub fn octets(&mut self, n: usize, what: &'static str) -> Result<Vec<u8>> {
        if self.remaining() < n * 8 {
            return err(what, "the message ends before it");
        }
        if self.pos.is_multiple_of(8) {
            let start = self.pos / 8;
            self.pos += n * 8;
            return Ok(self.data[start..start + n].to_vec());
        }
        (0..n).map(|_| self.bits(8, what).map(|b| b as u8)).collect()
    }

    pub fn constrained(&mut self, lb: i64, ub: i64, what: &'static str) -> Result<i64> {
        let range = (ub - lb) as u64 + 1;
        let off = match range {
            1 => 0,
            2..=255 => self.bits(bits_for(range), what)?,
            256 => {
                self.align();
                self.bits(8, what)?
            }
            257..=65536 => {
                self.align();
                self.bits(16, what)?
            }
            _ => {
                let n = self.constrained(1, octets_for(range - 1) as i64, what)? as u32;
                self.align();
                self.bits(8 * n, what)?
            }
        };
        if off >= range {
            return err(what, "over its upper bound");
        }
        Ok(lb + off as i64)
    }

    pub fn length(&mut self, what: &'static str) -> Result<usize> {
        self.align();
        let first = self.bits(8, what)?;
        if first & 0x80 == 0 {
            return Ok(first as usize);
        }
        if first & 0x40 != 0 {
            return err(what, "a fragmented length (16K or more) is not supported");
        }
        Ok(((first & 0x3f) << 8 | self.bits(8, what)?) as usize)
    }

    pub fn sized(&mut self, lb: usize, ub: Option<usize>, what: &'static str) -> Result<usize> {
        let n = match ub {
            Some(ub) if ub < 65536 => self.constrained(lb as i64, ub as i64, what)? as usize,
            _ => self.length(what)?,
        };
        if n < lb || ub.is_some_and(|u| n > u) {
            return err(what, "a size outside its constraint");
        }
        Ok(n)
    }

    pub fn semi_constrained(&mut self, lb: u64, what: &'static str) -> Result<u64> {
        let n = self.length(what)?;
        if n == 0 || n > 8 {
            return err(what, "a number longer than 8 octets");
        }
        Ok(lb.saturating_add(self.bits(8 * n as u32, what)?))
    }

    pub fn unconstrained(&mut self, what: &'static str) -> Result<i64> {
        let n = self.length(what)?;
        if n == 0 || n > 8 {
            return err(what, "a number longer than 8 octets");
        }
        let o = self.octets(n, what)?;
        let mut v: i64 = if o[0] & 0x80 != 0 { -1 } else { 0 };
        for b in o {
            v = v << 8 | i64::from(b);
        }
        Ok(v)
    }

    pub fn normally_small(&mut self, what: &'static str) -> Result<u64> {
        if self.bit(what)? { self.semi_constrained(0, what) } else { self.bits(6, what) }
    }

    /// An open type's octets (read them with a new [`Reader`], or skip an unknown extension).
    pub fn open(&mut self, what: &'static str) -> Result<Vec<u8>> {
        let n = self.length(what)?;
        self.octets(n, what)
    }

    pub fn octet_string(&mut self, lb: usize, ub: Option<usize>, what: &'static str) -> Result<Vec<u8>> {
        match ub {
            Some(ub) if lb == ub => {
                if ub > 2 {
                    self.align();
                }
                self.octets(ub, what)
            }
            _ => {
                let n = self.sized(lb, ub, what)?;
                self.align();
                self.octets(n, what)
            }
        }
    }

    pub fn bit_string(&mut self, lb: usize, ub: Option<usize>, what: &'static str) -> Result<Vec<bool>> {
        let n = match ub {
            Some(ub) if lb == ub => {
                if ub > 16 {
                    self.align();
                }
                ub
            }
            _ => {
                let n = self.sized(lb, ub, what)?;
                if n > 0 {
                    self.align();
                }
                n
            }
        };
        if self.remaining() < n {
            return err(what, "the message ends before it");
        }
        (0..n).map(|_| self.bit(what)).collect()
    }

    pub fn char_string(
        &mut self,
        alphabet: Alphabet,
        lb: usize,
        ub: Option<usize>,
        what: &'static str,
    ) -> Result<Vec<u8>> {
        let b = alphabet.bits();
        let n = if ub == Some(lb) { lb } else { self.sized(lb, ub, what)? };
        if ub.is_none_or(|u| u * b as usize > 16) && n > 0 {
            self.align();
        }
        if self.remaining() < n * b as usize {
            return err(what, "the message ends before it");
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let v = self.bits(b, what)?;
            let c = if alphabet.by_value() {
                u8::try_from(v).ok().filter(|c| alphabet.chars.binary_search(c).is_ok())
            } else {
                usize::try_from(v).ok().and_then(|i| alphabet.chars.get(i).copied())
            };
            match c {
                Some(c) => out.push(c),
                None => return err(what, "a character outside its alphabet"),
            }
        }
        Ok(out)
    }

    pub fn bmp_string(&mut self, lb: usize, ub: Option<usize>, what: &'static str) -> Result<Vec<u16>> {
        let n = if ub == Some(lb) { lb } else { self.sized(lb, ub, what)? };
        if ub.is_none_or(|u| u * 16 > 16) && n > 0 {
            self.align();
        }
        if self.remaining() < n * 16 {
            return err(what, "the message ends before it");
        }
        (0..n).map(|_| self.bits(16, what).map(|v| v as u16)).collect()
    }

    pub fn object_identifier(&mut self, what: &'static str) -> Result<Vec<u32>> {
        let body = self.open(what)?;
        let mut arcs = Vec::new();
        let mut v: u64 = 0;
        for (i, b) in body.iter().enumerate() {
            v = v << 7 | u64::from(b & 0x7f);
            if v > u64::from(u32::MAX) {
                return err(what, "an arc over 32 bits");
            }
            if b & 0x80 == 0 {
                if arcs.is_empty() {
                    let first = (v / 40).min(2);
                    arcs.push(first as u32);
                    arcs.push((v - first * 40) as u32);
                } else {
                    arcs.push(v as u32);
                }
                v = 0;
            } else if i + 1 == body.len() {
                return err(what, "an arc cut off");
            }
        }
        if arcs.is_empty() {
            return err(what, "empty");
        }
        Ok(arcs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: impl FnOnce(&mut Writer)) -> Vec<u8> {
        let mut w = Writer::new();
        f(&mut w);
        w.finish()
    }

    #[test]
    fn constrained_whole_numbers_take_the_bits_x691_gives_them() {
        // X.691 10.5.7: a bit-field up to 255 values, one octet at 256, two up to 64K.
        assert_eq!(enc(|w| w.constrained(3, 0, 7)), [0b0110_0000]);
        assert_eq!(enc(|w| w.constrained(5, 0, 254)), [5]);
        assert_eq!(enc(|w| w.constrained(255, 0, 255)), [255]);
        assert_eq!(enc(|w| w.constrained(1720, 0, 65535)), [0x06, 0xb8]);
        assert_eq!(enc(|w| w.constrained(7, 7, 7)), Vec::<u8>::new());
        // Past 64K: the octets' count (1..4 as 2 bits), then the octets.
        assert_eq!(enc(|w| w.constrained(0x12345, 0, 0xffff_ffff)), [0b1000_0000, 0x01, 0x23, 0x45]);
        // A bit, then alignment for the octet: 1 bit + padding + octet.
        assert_eq!(
            enc(|w| {
                w.bit(true);
                w.constrained(1, 0, 255)
            }),
            [0x80, 0x01]
        );
    }

    #[test]
    fn everything_written_reads_back() {
        let mut w = Writer::new();
        w.bit(true);
        w.constrained(42, 1, 65535);
        w.constrained(3, 0, 5);
        w.constrained(0x1_0000_0001, 0, i64::MAX);
        w.length(300);
        w.semi_constrained(70_000, 0);
        w.unconstrained(-129);
        w.normally_small(5);
        w.normally_small(200);
        w.octet_string(&[1, 2, 3], 0, Some(255));
        w.octet_string(&[9; 16], 16, Some(16));
        w.bit_string(&[true, false, true], 0, None);
        w.char_string(b"1234#*", NUMBERS, 1, Some(128));
        w.char_string(b"room", Alphabet::IA5, 1, Some(256));
        w.bmp_string(&[0x0422, 0x0435], 1, Some(256));
        w.object_identifier(&[0, 0, 8, 2250, 0, 7]);
        w.open(&[0xaa, 0xbb]);
        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        assert!(r.bit("b").unwrap());
        assert_eq!(r.constrained(1, 65535, "c").unwrap(), 42);
        assert_eq!(r.constrained(0, 5, "c").unwrap(), 3);
        assert_eq!(r.constrained(0, i64::MAX, "c").unwrap(), 0x1_0000_0001);
        assert_eq!(r.length("l").unwrap(), 300);
        assert_eq!(r.semi_constrained(0, "s").unwrap(), 70_000);
        assert_eq!(r.unconstrained("u").unwrap(), -129);
        assert_eq!(r.normally_small("n").unwrap(), 5);
        assert_eq!(r.normally_small("n").unwrap(), 200);
        assert_eq!(r.octet_string(0, Some(255), "o").unwrap(), [1, 2, 3]);
        assert_eq!(r.octet_string(16, Some(16), "o").unwrap(), [9; 16]);
        assert_eq!(r.bit_string(0, None, "b").unwrap(), [true, false, true]);
        assert_eq!(r.char_string(NUMBERS, 1, Some(128), "d").unwrap(), b"1234#*");
        assert_eq!(r.char_string(Alphabet::IA5, 1, Some(256), "h").unwrap(), b"room");
        assert_eq!(r.bmp_string(1, Some(256), "n").unwrap(), [0x0422, 0x0435]);
        assert_eq!(r.object_identifier("oid").unwrap(), [0, 0, 8, 2250, 0, 7]);
        assert_eq!(r.open("x").unwrap(), [0xaa, 0xbb]);
    }

    const NUMBERS: Alphabet = Alphabet { chars: b"#*,0123456789" };

    /// The same value encoded by pycrate 0.7.11 (an independent aligned-PER encoder) from
    /// `S ::= SEQUENCE { a BOOLEAN, b INTEGER (1..65535), c INTEGER (0..5), d INTEGER
    /// (0..4294967295), e OCTET STRING (SIZE (0..255)), f IA5String (SIZE (1..128)) (FROM
    /// ("0123456789#*,")), g IA5String (SIZE (1..256)), h BMPString (SIZE (1..256)), i OBJECT
    /// IDENTIFIER, j BIT STRING, k INTEGER }`.
    #[test]
    fn a_sequence_of_every_primitive_matches_pycrate() {
        let mut w = Writer::new();
        w.bit(true);
        w.constrained(42, 1, 65535);
        w.constrained(3, 0, 5);
        w.constrained(0x12345, 0, 0xffff_ffff);
        w.octet_string(&[1, 2, 3], 0, Some(255));
        w.char_string(b"1234#*", NUMBERS, 1, Some(128));
        w.char_string(b"room", Alphabet::IA5, 1, Some(256));
        w.bmp_string(&[0x0422, 0x0435], 1, Some(256));
        w.object_identifier(&[0, 0, 8, 2250, 0, 7]);
        w.bit_string(&[true, false, true], 0, None);
        w.unconstrained(-129);
        let pycrate = "80002970012345030102030a45670103726f6f6d0104220435060008914a000703a002ff7f";
        assert_eq!(hex::encode(w.finish()), pycrate);
    }

    #[test]
    fn restricted_alphabets_use_indices_in_four_bits() {
        // H.225.0 dialedDigits: IA5String (SIZE (1..128)) (FROM ("0123456789#*,")): 13
        // characters in 4 bits each, as indices in the sorted alphabet.
        assert_eq!(NUMBERS.bits(), 4);
        assert!(!NUMBERS.by_value());
        // Length 2 as 7 bits (1..128), aligned, then '1' (index 4) and '#' (index 0).
        assert_eq!(enc(|w| w.char_string(b"1#", NUMBERS, 1, Some(128))), [0b0000_0010, 0x40]);
    }

    #[test]
    fn object_identifiers_are_ber_contents() {
        // H.225.0 version 7: { 0 0 8 2250 0 7 } = 00 08 91 4a 00 07.
        assert_eq!(enc(|w| w.object_identifier(&[0, 0, 8, 2250, 0, 7])), [6, 0x00, 0x08, 0x91, 0x4a, 0x00, 0x07]);
    }

    #[test]
    fn bad_input_is_an_error_never_a_panic() {
        assert!(Reader::new(&[]).bit("b").is_err());
        assert!(Reader::new(&[0xff]).constrained(0, 5, "c").is_err(), "7 of 0..5");
        assert!(Reader::new(&[0xc0, 0]).length("l").is_err(), "fragmented");
        assert!(Reader::new(&[0x05, 1]).octet_string(0, None, "o").is_err(), "short");
        assert!(Reader::new(&[0x01, 0x80]).object_identifier("oid").is_err(), "cut arc");
        assert!(Reader::new(&[0x09, 0, 0, 0, 0, 0, 0, 0, 0, 1]).unconstrained("u").is_err());
        for n in 0..=255u8 {
            let data = [n, n.wrapping_mul(7), 0xff, 0x00, n];
            let mut r = Reader::new(&data);
            let _ = r.char_string(NUMBERS, 0, None, "d");
            let _ = r.bmp_string(0, None, "n");
            let _ = r.object_identifier("oid");
        }
    }
}
