//! Inflate (RFC 1951) inside a zlib stream (RFC 1950), for the pictures the mock model
//! looks at: the PNGs `check-vision` sends, or any PNG a user hosts in their place.
//! Written out because it is a hundred lines against a crate family in every build.

/// The inflated bytes of a zlib stream, refusing to grow past `limit` bytes (a picture's
/// pixels are known from its header, so a stream that inflates further is broken or
/// hostile).
pub(super) fn zlib(data: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let [cmf, flg, ..] = *data else {
        return Err("the zlib stream is empty".into());
    };
    if cmf & 0x0F != 8 || (u16::from(cmf) << 8 | u16::from(flg)) % 31 != 0 || flg & 0x20 != 0 {
        return Err("not a zlib stream of deflate data".into());
    }
    let mut bits = Bits {
        data: &data[2..],
        at: 0,
        buffer: 0,
        count: 0,
    };
    let mut out = Vec::new();
    loop {
        let last = bits.take(1)? == 1;
        match bits.take(2)? {
            0 => stored(&mut bits, &mut out, limit)?,
            1 => {
                let (lengths, distances) = fixed();
                compressed(&mut bits, &mut out, limit, &lengths, &distances)?;
            }
            2 => {
                let (lengths, distances) = dynamic(&mut bits)?;
                compressed(&mut bits, &mut out, limit, &lengths, &distances)?;
            }
            _ => return Err("a deflate block of the reserved type".into()),
        }
        if last {
            return Ok(out);
        }
    }
}

/// Least-significant-bit-first reading of a byte slice.
struct Bits<'a> {
    data: &'a [u8],
    at: usize,
    buffer: u64,
    count: u32,
}

impl Bits<'_> {
    fn take(&mut self, n: u32) -> Result<u32, String> {
        while self.count < n {
            let byte = *self
                .data
                .get(self.at)
                .ok_or("the deflate data ends early")?;
            self.at += 1;
            self.buffer |= u64::from(byte) << self.count;
            self.count += 8;
        }
        let value = (self.buffer & ((1u64 << n) - 1)) as u32;
        self.buffer >>= n;
        self.count -= n;
        Ok(value)
    }

    /// Drops the bits left of the current byte (stored blocks start on a byte).
    fn align(&mut self) {
        let partial = self.count % 8;
        self.buffer >>= partial;
        self.count -= partial;
    }
}

fn push(out: &mut Vec<u8>, byte: u8, limit: usize) -> Result<(), String> {
    if out.len() >= limit {
        return Err("the picture inflates to more than its header says".into());
    }
    out.push(byte);
    Ok(())
}

fn stored(bits: &mut Bits, out: &mut Vec<u8>, limit: usize) -> Result<(), String> {
    bits.align();
    let len = bits.take(16)?;
    let nlen = bits.take(16)?;
    if len != !nlen & 0xFFFF {
        return Err("a stored deflate block with a broken length".into());
    }
    for _ in 0..len {
        push(out, bits.take(8)? as u8, limit)?;
    }
    Ok(())
}

/// A canonical Huffman code: how many codes of each length, and the symbols in code order.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Result<Huffman, String> {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[usize::from(l)] += 1;
        }
        counts[0] = 0;
        let mut offsets = [0u16; 16];
        for len in 1..15 {
            offsets[len + 1] = offsets[len] + counts[len];
        }
        let mut symbols = vec![0; lengths.len()];
        for (symbol, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbols[usize::from(offsets[usize::from(l)])] = symbol as u16;
                offsets[usize::from(l)] += 1;
            }
        }
        Ok(Huffman { counts, symbols })
    }

    fn decode(&self, bits: &mut Bits) -> Result<u16, String> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= bits.take(1)? as i32;
            let count = i32::from(self.counts[len]);
            if code - first < count {
                return Ok(self.symbols[(index + code - first) as usize]);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err("a deflate code that is not in its table".into())
    }
}

fn fixed() -> (Huffman, Huffman) {
    let mut lengths = [0u8; 288];
    lengths[..144].fill(8);
    lengths[144..256].fill(9);
    lengths[256..280].fill(7);
    lengths[280..].fill(8);
    let lengths = Huffman::new(&lengths).expect("the fixed code is valid");
    let distances = Huffman::new(&[5; 30]).expect("the fixed code is valid");
    (lengths, distances)
}

fn dynamic(bits: &mut Bits) -> Result<(Huffman, Huffman), String> {
    const ORDER: [usize; 19] = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];
    let literals = bits.take(5)? as usize + 257;
    let distances = bits.take(5)? as usize + 1;
    let code_lengths = bits.take(4)? as usize + 4;
    let mut lengths_of_lengths = [0u8; 19];
    for &i in &ORDER[..code_lengths] {
        lengths_of_lengths[i] = bits.take(3)? as u8;
    }
    let lengths_code = Huffman::new(&lengths_of_lengths)?;
    let mut lengths = Vec::with_capacity(literals + distances);
    while lengths.len() < literals + distances {
        let (value, repeat) = match lengths_code.decode(bits)? {
            symbol @ 0..=15 => (symbol as u8, 1),
            16 => {
                let previous = *lengths.last().ok_or("a repeat before any code length")?;
                (previous, 3 + bits.take(2)?)
            }
            17 => (0, 3 + bits.take(3)?),
            _ => (0, 11 + bits.take(7)?),
        };
        lengths.extend(std::iter::repeat_n(value, repeat as usize));
    }
    if lengths.len() != literals + distances {
        return Err("code lengths that overrun their table".into());
    }
    Ok((
        Huffman::new(&lengths[..literals])?,
        Huffman::new(&lengths[literals..])?,
    ))
}

fn compressed(
    bits: &mut Bits,
    out: &mut Vec<u8>,
    limit: usize,
    lengths: &Huffman,
    distances: &Huffman,
) -> Result<(), String> {
    const LENGTH_BASE: [u16; 29] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
        131, 163, 195, 227, 258,
    ];
    const LENGTH_EXTRA: [u8; 29] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ];
    const DISTANCE_BASE: [u16; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
    ];
    const DISTANCE_EXTRA: [u8; 30] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12,
        13, 13,
    ];
    loop {
        let symbol = usize::from(lengths.decode(bits)?);
        match symbol {
            0..=255 => push(out, symbol as u8, limit)?,
            256 => return Ok(()),
            257..=285 => {
                let i = symbol - 257;
                let len =
                    usize::from(LENGTH_BASE[i]) + bits.take(u32::from(LENGTH_EXTRA[i]))? as usize;
                let d = usize::from(distances.decode(bits)?);
                let (&base, &extra) = DISTANCE_BASE
                    .get(d)
                    .zip(DISTANCE_EXTRA.get(d))
                    .ok_or("a deflate distance code out of range")?;
                let distance = usize::from(base) + bits.take(u32::from(extra))? as usize;
                if distance > out.len() {
                    return Err("a deflate distance before the start".into());
                }
                for _ in 0..len {
                    push(out, out[out.len() - distance], limit)?;
                }
            }
            _ => return Err("a deflate length code out of range".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_fixed_and_dynamic_blocks_inflate() {
        // Python's zlib.compress(b"", 0) (a stored block) and zlib.compress(b"hello hello
        // hello hello") (a fixed block).
        let stored = [0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 1];
        assert_eq!(zlib(&stored, 10).unwrap(), b"");
        let fixed = [
            120, 156, 203, 72, 205, 201, 201, 87, 200, 64, 39, 1, 104, 3, 8, 177,
        ];
        assert_eq!(zlib(&fixed, 100).unwrap(), b"hello hello hello hello");
        assert!(zlib(&fixed, 10).unwrap_err().contains("more than"));
        assert!(zlib(&fixed[..8], 100).is_err());
        assert!(zlib(b"\x00\x00", 100).is_err());
        // zlib.compress(text, 9) of 2,362 bytes of words: one dynamic block.
        let dynamic = include_bytes!("../../testdata/dynamic-block.zlib");
        let text = include_bytes!("../../testdata/dynamic-block.txt");
        assert_eq!((dynamic[2] >> 1) & 3, 2, "the block is dynamic");
        assert_eq!(zlib(dynamic, 10_000).unwrap(), text);
    }
}
