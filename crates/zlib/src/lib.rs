//! zlib streams (RFC 1950 around RFC 1951 deflate), written from the RFCs: a small
//! compressor (LZ77 with hash chains and lazy matching, dynamic Huffman blocks) for the
//! report page's transcripts (a full-size run's are 7-8 MB of text and about a quarter of
//! that compressed, and the browser inflates them natively), and an inflater for the PNGs
//! the mock model looks at and for reading a page's data back. A crate of its own so that
//! the report and the network side share one, with no compression library in the build.

/// The LZ77 window (the most deflate allows).
const WINDOW: usize = 1 << 15;
const MIN_MATCH: usize = 3;
const MAX_MATCH: usize = 258;
/// Hash chain steps per position: the speed against ratio trade-off (zlib's level 6 is 128).
const MAX_CHAIN: usize = 64;
/// A match this long is taken at once, without looking further.
const NICE_MATCH: usize = 128;
const HASH_BITS: u32 = 15;
/// Symbols per block: each block gets Huffman codes fitted to its own text.
const BLOCK_SYMBOLS: usize = 1 << 16;

/// `data` as a zlib stream.
pub fn compress(data: &[u8]) -> Vec<u8> {
    let mut out = BitWriter::default();
    // CMF: deflate with a 32 KB window; FLG: no dictionary, check bits making it % 31 == 0.
    out.bytes.extend_from_slice(&[0x78, 0x5e]);
    let symbols = lz77(data);
    let blocks: Vec<&[Symbol]> = if symbols.is_empty() {
        vec![&[]]
    } else {
        symbols.chunks(BLOCK_SYMBOLS).collect()
    };
    let last = blocks.len() - 1;
    for (i, block) in blocks.into_iter().enumerate() {
        dynamic_block(&mut out, block, i == last);
    }
    out.flush();
    out.bytes.extend_from_slice(&adler32(data).to_be_bytes());
    out.bytes
}

fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the most that can be summed before b can overflow.
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// A literal byte, or a match of `len` bytes `dist` back.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Symbol {
    Literal(u8),
    Match { len: u16, dist: u16 },
}

fn hash(data: &[u8], i: usize) -> usize {
    let v = u32::from(data[i]) | u32::from(data[i + 1]) << 8 | u32::from(data[i + 2]) << 16;
    (v.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
}

/// The longest match for position `i` among earlier positions of the same hash.
fn longest_match(
    data: &[u8],
    i: usize,
    head: &[u32],
    prev: &[u32],
    at_least: usize,
) -> (usize, usize) {
    let max = MAX_MATCH.min(data.len() - i);
    if max < MIN_MATCH {
        return (0, 0);
    }
    let mut best = (at_least.max(MIN_MATCH - 1), 0);
    let mut candidate = head[hash(data, i)];
    let mut steps = 0;
    while candidate != u32::MAX && steps < MAX_CHAIN {
        let c = candidate as usize;
        if i - c > WINDOW {
            break;
        }
        // Cheap reject: the byte that would make this match longer than the best.
        if data[c + best.0.min(max - 1)] == data[i + best.0.min(max - 1)] {
            let len = data[c..c + max]
                .iter()
                .zip(&data[i..i + max])
                .take_while(|(a, b)| a == b)
                .count();
            if len > best.0 {
                best = (len, i - c);
                if len >= NICE_MATCH.min(max) {
                    break;
                }
            }
        }
        let next = prev[c % WINDOW];
        if next == u32::MAX || next as usize >= c {
            break;
        }
        candidate = next;
        steps += 1;
    }
    if best.1 == 0 { (0, 0) } else { best }
}

/// LZ77 with lazy matching: a match is put off by one byte when the next position has a
/// longer one.
fn lz77(data: &[u8]) -> Vec<Symbol> {
    let mut out = Vec::with_capacity(data.len() / 3);
    let mut head = vec![u32::MAX; 1 << HASH_BITS];
    let mut prev = vec![u32::MAX; WINDOW];
    let insert = |i: usize, head: &mut Vec<u32>, prev: &mut Vec<u32>| {
        if i + MIN_MATCH <= data.len() {
            let h = hash(data, i);
            prev[i % WINDOW] = head[h];
            head[h] = i as u32;
        }
    };
    let mut i = 0;
    while i < data.len() {
        let (len, dist) = if i + MIN_MATCH <= data.len() {
            longest_match(data, i, &head, &prev, 0)
        } else {
            (0, 0)
        };
        insert(i, &mut head, &mut prev);
        if len < MIN_MATCH {
            out.push(Symbol::Literal(data[i]));
            i += 1;
            continue;
        }
        if len < NICE_MATCH && i + 1 + MIN_MATCH <= data.len() {
            let (next_len, _) = longest_match(data, i + 1, &head, &prev, len);
            if next_len > len {
                out.push(Symbol::Literal(data[i]));
                i += 1;
                continue;
            }
        }
        out.push(Symbol::Match {
            len: len as u16,
            dist: dist as u16,
        });
        for j in i + 1..i + len {
            insert(j, &mut head, &mut prev);
        }
        i += len;
    }
    out
}

/// Length code (257..=285) base lengths and their extra bits.
const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Distance code (0..=29) base distances and their extra bits.
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// The order the code length code lengths are written in.
const CL_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// The code index whose base is the largest not above `value`.
fn code_of(bases: &[u16], value: u16) -> usize {
    bases.partition_point(|&b| b <= value) - 1
}

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    bits: u64,
    count: u32,
}

impl BitWriter {
    /// Writes the `n` low bits of `value`, least significant first.
    fn put(&mut self, value: u32, n: u32) {
        debug_assert!(n <= 32 && (n == 32 || value >> n == 0));
        self.bits |= u64::from(value) << self.count;
        self.count += n;
        while self.count >= 8 {
            self.bytes.push(self.bits as u8);
            self.bits >>= 8;
            self.count -= 8;
        }
    }

    /// A Huffman code: written most significant bit first.
    fn code(&mut self, code: u32, len: u8) {
        self.put(code.reverse_bits() >> (32 - u32::from(len)), u32::from(len));
    }

    fn flush(&mut self) {
        if self.count > 0 {
            self.bytes.push(self.bits as u8);
            self.bits = 0;
            self.count = 0;
        }
    }
}

/// Huffman code lengths for `freqs`, none longer than `limit`. At least two symbols get a
/// code (the used ones first, then the first unused ones), as decoders expect.
fn code_lengths(freqs: &[u32], limit: u8) -> Vec<u8> {
    let mut freqs: Vec<u64> = freqs.iter().map(|&f| u64::from(f)).collect();
    let used = freqs.iter().filter(|&&f| f > 0).count();
    for f in freqs
        .iter_mut()
        .filter(|f| **f == 0)
        .take(2usize.saturating_sub(used))
    {
        *f = 1;
    }
    loop {
        let lengths = huffman_lengths(&freqs);
        if lengths.iter().all(|&l| l <= limit) {
            return lengths;
        }
        // Too deep: flatten the frequencies and build again (terminates: all equal at worst).
        for f in freqs.iter_mut().filter(|f| **f > 0) {
            *f = (*f >> 1) | 1;
        }
    }
}

/// Plain Huffman code lengths (unlimited) of the symbols with a frequency.
fn huffman_lengths(freqs: &[u64]) -> Vec<u8> {
    // Nodes: leaves first, then internal nodes; `parent` links them.
    let mut nodes: Vec<(u64, usize)> = Vec::new(); // (weight, symbol or usize::MAX)
    let mut heap = std::collections::BinaryHeap::new();
    for (symbol, &f) in freqs.iter().enumerate() {
        if f > 0 {
            heap.push(std::cmp::Reverse((f, nodes.len())));
            nodes.push((f, symbol));
        }
    }
    let mut parent = vec![usize::MAX; nodes.len() * 2];
    while heap.len() > 1 {
        let std::cmp::Reverse((wa, a)) = heap.pop().expect("two nodes");
        let std::cmp::Reverse((wb, b)) = heap.pop().expect("two nodes");
        let id = nodes.len();
        nodes.push((wa + wb, usize::MAX));
        parent[a] = id;
        parent[b] = id;
        heap.push(std::cmp::Reverse((wa + wb, id)));
    }
    let mut lengths = vec![0u8; freqs.len()];
    for (id, &(_, symbol)) in nodes.iter().enumerate() {
        if symbol == usize::MAX {
            continue;
        }
        let mut depth = 0u8;
        let mut at = id;
        while parent[at] != usize::MAX {
            at = parent[at];
            depth = depth.saturating_add(1);
        }
        lengths[symbol] = depth.max(1);
    }
    lengths
}

/// Canonical codes from code lengths (RFC 1951, 3.2.2).
fn canonical(lengths: &[u8]) -> Vec<u32> {
    let mut count = [0u32; 16];
    for &l in lengths {
        count[usize::from(l)] += 1;
    }
    count[0] = 0;
    let mut next = [0u32; 16];
    let mut code = 0;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    lengths
        .iter()
        .map(|&l| {
            if l == 0 {
                return 0;
            }
            let c = next[usize::from(l)];
            next[usize::from(l)] += 1;
            c
        })
        .collect()
}

/// The code lengths as code length symbols: (symbol, extra bits value), with the runs of
/// repeats (16) and zeros (17, 18).
fn run_lengths(lengths: &[u8]) -> Vec<(u8, u8)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lengths.len() {
        let l = lengths[i];
        let run = lengths[i..].iter().take_while(|&&x| x == l).count();
        if l == 0 && run >= 3 {
            let n = run.min(138);
            if n >= 11 {
                out.push((18, (n - 11) as u8));
            } else {
                out.push((17, (n - 3) as u8));
            }
            i += n;
        } else if l != 0 && run >= 4 {
            out.push((l, 0));
            let n = (run - 1).min(6);
            out.push((16, (n - 3) as u8));
            i += 1 + n;
        } else {
            out.push((l, 0));
            i += 1;
        }
    }
    out
}

fn dynamic_block(out: &mut BitWriter, symbols: &[Symbol], last: bool) {
    let mut lit_freq = [0u32; 286];
    let mut dist_freq = [0u32; 30];
    for s in symbols {
        match *s {
            Symbol::Literal(b) => lit_freq[usize::from(b)] += 1,
            Symbol::Match { len, dist } => {
                lit_freq[257 + code_of(&LENGTH_BASE, len)] += 1;
                dist_freq[code_of(&DIST_BASE, dist)] += 1;
            }
        }
    }
    lit_freq[256] += 1;
    let lit_len = code_lengths(&lit_freq, 15);
    let dist_len = code_lengths(&dist_freq, 15);
    let hlit = 257.max(lit_len.iter().rposition(|&l| l > 0).map_or(0, |p| p + 1));
    let hdist = 1.max(dist_len.iter().rposition(|&l| l > 0).map_or(0, |p| p + 1));
    let mut all = lit_len[..hlit].to_vec();
    all.extend_from_slice(&dist_len[..hdist]);
    let runs = run_lengths(&all);
    let mut cl_freq = [0u32; 19];
    for &(s, _) in &runs {
        cl_freq[usize::from(s)] += 1;
    }
    let cl_len = code_lengths(&cl_freq, 7);
    let cl_code = canonical(&cl_len);
    let hclen = 4.max(
        CL_ORDER
            .iter()
            .rposition(|&s| cl_len[s] > 0)
            .map_or(0, |p| p + 1),
    );

    out.put(u32::from(last), 1);
    out.put(2, 2); // dynamic Huffman codes
    out.put((hlit - 257) as u32, 5);
    out.put((hdist - 1) as u32, 5);
    out.put((hclen - 4) as u32, 4);
    for &s in &CL_ORDER[..hclen] {
        out.put(u32::from(cl_len[s]), 3);
    }
    for &(s, extra) in &runs {
        out.code(cl_code[usize::from(s)], cl_len[usize::from(s)]);
        match s {
            16 => out.put(u32::from(extra), 2),
            17 => out.put(u32::from(extra), 3),
            18 => out.put(u32::from(extra), 7),
            _ => {}
        }
    }
    let lit_code = canonical(&lit_len);
    let dist_code = canonical(&dist_len);
    for s in symbols {
        match *s {
            Symbol::Literal(b) => out.code(lit_code[usize::from(b)], lit_len[usize::from(b)]),
            Symbol::Match { len, dist } => {
                let lc = code_of(&LENGTH_BASE, len);
                out.code(lit_code[257 + lc], lit_len[257 + lc]);
                out.put(
                    u32::from(len - LENGTH_BASE[lc]),
                    u32::from(LENGTH_EXTRA[lc]),
                );
                let dc = code_of(&DIST_BASE, dist);
                out.code(dist_code[dc], dist_len[dc]);
                out.put(u32::from(dist - DIST_BASE[dc]), u32::from(DIST_EXTRA[dc]));
            }
        }
    }
    out.code(lit_code[256], lit_len[256]);
}

pub fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, String> {
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
            bits.align();
            let stored =
                (0..4).try_fold(0u32, |sum, _| Ok::<_, String>(sum << 8 | bits.take(8)?))?;
            if stored != adler32(&out) {
                return Err("the zlib checksum does not match".into());
            }
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

    fn round_trip(data: &[u8]) -> usize {
        let z = compress(data);
        assert_eq!(inflate(&z, data.len()).unwrap(), data);
        z.len()
    }

    #[test]
    fn round_trips() {
        round_trip(b"");
        round_trip(b"a");
        round_trip(b"ab");
        round_trip(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        round_trip(&[0u8; 100_000]);
        let all: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        round_trip(&all);
        // Noise: nothing to match, every byte a literal.
        let mut x = 1u64;
        let noise: Vec<u8> = (0..50_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        round_trip(&noise);
        // Skewed frequencies, to push code lengths past the limits.
        let mut skewed = Vec::new();
        let mut n = 1usize;
        for b in 0..40u8 {
            skewed.extend(std::iter::repeat_n(b, n));
            skewed.push(255 - b);
            n = (n * 3 / 2).max(n + 1).min(20_000);
        }
        round_trip(&skewed);
    }

    #[test]
    fn broken_streams_are_errors() {
        let z = compress(b"some text, some text, some text");
        assert!(inflate(&z[..z.len() - 1], 100).is_err());
        let mut bad = z.clone();
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert!(inflate(&bad, 100).is_err());
        assert!(inflate(b"not zlib", 100).is_err());
    }

    #[test]
    fn text_shrinks() {
        let text = "* Question: Which feature of the radiograph most strongly suggests an aggressive lesion?\n* Options:\nA. A thin sclerotic rim\nB. Onion-skin periosteal reaction\n"
            .repeat(400);
        let size = round_trip(text.as_bytes());
        assert!(size * 20 < text.len(), "{size} of {}", text.len());
        let json = serde_json::to_vec(
            &(0..3000)
                .map(|i| format!("case {i}: {}", i * 7919 % 1000))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        let size = round_trip(&json);
        assert!(size * 3 < json.len(), "{size} of {}", json.len());
    }

    #[test]
    fn stored_fixed_and_dynamic_blocks_inflate() {
        // Python's zlib.compress(b"", 0) (a stored block) and zlib.compress(b"hello hello
        // hello hello") (a fixed block).
        let stored = [0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 1];
        assert_eq!(inflate(&stored, 10).unwrap(), b"");
        let fixed = [
            120, 156, 203, 72, 205, 201, 201, 87, 200, 64, 39, 1, 104, 3, 8, 177,
        ];
        assert_eq!(inflate(&fixed, 100).unwrap(), b"hello hello hello hello");
        assert!(inflate(&fixed, 10).unwrap_err().contains("more than"));
        assert!(inflate(&fixed[..8], 100).is_err());
        assert!(inflate(b"\x00\x00", 100).is_err());
        // zlib.compress(text, 9) of 2,362 bytes of words: one dynamic block.
        let dynamic = include_bytes!("../testdata/dynamic-block.zlib");
        let text = include_bytes!("../testdata/dynamic-block.txt");
        assert_eq!((dynamic[2] >> 1) & 3, 2, "the block is dynamic");
        assert_eq!(inflate(dynamic, 10_000).unwrap(), text);
    }
}
