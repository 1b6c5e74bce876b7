//! A small zlib compressor (RFC 1950 around RFC 1951 deflate: LZ77 with hash chains and
//! lazy matching, dynamic Huffman blocks), for the report page's transcripts: a
//! full-size run's transcripts are 7-8 MB of text and about a quarter of that compressed,
//! and the browser inflates them natively (`DecompressionStream("deflate")`). The
//! inflater beside it reads a page's data back (tests, tools).

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
pub(crate) fn zlib(data: &[u8]) -> Vec<u8> {
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

/// Inflates a zlib stream (stored, fixed and dynamic blocks; RFC 1950 and 1951, written
/// from the RFCs): the way back from [`zlib`], for tests and tools that read a report
/// page's data. Checks the header, the codes, the distances and the Adler-32.
pub(crate) fn inflate_zlib(data: &[u8]) -> Result<Vec<u8>, String> {
    if data.len() < 6
        || (u16::from(data[0]) << 8 | u16::from(data[1])) % 31 != 0
        || data[0] & 0x0f != 8
    {
        return Err("not a zlib stream".into());
    }
    let mut r = Reader {
        data: &data[2..],
        pos: 0,
        bit: 0,
    };
    let mut out: Vec<u8> = Vec::new();
    loop {
        let last = r.bits(1)? == 1;
        match r.bits(2)? {
            0 => {
                r.align();
                let len = r.bits(16)? as usize;
                let _nlen = r.bits(16)?;
                for _ in 0..len {
                    out.push(r.bits(8)? as u8);
                }
            }
            kind @ (1 | 2) => {
                let (lit, dist) = if kind == 1 {
                    let mut l = vec![8u8; 144];
                    l.extend([9u8; 112]);
                    l.extend([7u8; 24]);
                    l.extend([8u8; 8]);
                    (Decoder::new(&l)?, Decoder::new(&[5u8; 30])?)
                } else {
                    let hlit = r.bits(5)? as usize + 257;
                    let hdist = r.bits(5)? as usize + 1;
                    let hclen = r.bits(4)? as usize + 4;
                    let mut cl = [0u8; 19];
                    for &s in &CL_ORDER[..hclen] {
                        cl[s] = r.bits(3)? as u8;
                    }
                    let cl = Decoder::new(&cl)?;
                    let mut lengths = Vec::new();
                    while lengths.len() < hlit + hdist {
                        let (value, n) = match cl.decode(&mut r)? {
                            s @ 0..=15 => (s as u8, 1),
                            16 => (
                                *lengths.last().ok_or("a repeat with nothing before")?,
                                3 + r.bits(2)? as usize,
                            ),
                            17 => (0, 3 + r.bits(3)? as usize),
                            _ => (0, 11 + r.bits(7)? as usize),
                        };
                        lengths.extend(std::iter::repeat_n(value, n));
                    }
                    if lengths.len() != hlit + hdist {
                        return Err("code lengths overrun".into());
                    }
                    (
                        Decoder::new(&lengths[..hlit])?,
                        Decoder::new(&lengths[hlit..])?,
                    )
                };
                loop {
                    let s = lit.decode(&mut r)?;
                    if s < 256 {
                        out.push(s as u8);
                    } else if s == 256 {
                        break;
                    } else {
                        let c = s - 257;
                        if c >= LENGTH_BASE.len() {
                            return Err("bad length code".into());
                        }
                        let len =
                            LENGTH_BASE[c] as usize + r.bits(u32::from(LENGTH_EXTRA[c]))? as usize;
                        let d = dist.decode(&mut r)?;
                        if d >= DIST_BASE.len() {
                            return Err("bad distance code".into());
                        }
                        let back =
                            DIST_BASE[d] as usize + r.bits(u32::from(DIST_EXTRA[d]))? as usize;
                        if back > out.len() || back > WINDOW {
                            return Err("distance too far back".into());
                        }
                        for _ in 0..len {
                            out.push(out[out.len() - back]);
                        }
                    }
                }
            }
            _ => return Err("reserved block type".into()),
        }
        if last {
            break;
        }
    }
    r.align();
    if r.data.get(r.pos..) != Some(&adler32(&out).to_be_bytes()[..]) {
        return Err("bad Adler-32, or bytes after the stream".into());
    }
    Ok(out)
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    bit: u32,
}

impl Reader<'_> {
    fn bits(&mut self, n: u32) -> Result<u32, String> {
        let mut v = 0;
        for i in 0..n {
            let byte = self.data.get(self.pos).ok_or("the stream ends early")?;
            v |= u32::from((byte >> self.bit) & 1) << i;
            self.bit += 1;
            if self.bit == 8 {
                self.bit = 0;
                self.pos += 1;
            }
        }
        Ok(v)
    }

    fn align(&mut self) {
        if self.bit > 0 {
            self.bit = 0;
            self.pos += 1;
        }
    }
}

/// Canonical decoding by (length, code) lookup; refuses an over-subscribed code.
struct Decoder(std::collections::HashMap<(u8, u32), usize>);

impl Decoder {
    fn new(lengths: &[u8]) -> Result<Self, String> {
        let kraft: u64 = lengths
            .iter()
            .filter(|&&l| l > 0)
            .map(|&l| 1u64 << (15 - l.min(15)))
            .sum();
        if kraft > 1 << 15 || lengths.iter().any(|&l| l > 15) {
            return Err("over-subscribed code".into());
        }
        let codes = canonical(lengths);
        Ok(Decoder(
            lengths
                .iter()
                .zip(codes)
                .enumerate()
                .filter(|(_, (l, _))| **l > 0)
                .map(|(s, (l, c))| ((*l, c), s))
                .collect(),
        ))
    }

    fn decode(&self, r: &mut Reader) -> Result<usize, String> {
        let mut code = 0;
        for len in 1..=15u8 {
            code = code << 1 | r.bits(1)?;
            if let Some(&s) = self.0.get(&(len, code)) {
                return Ok(s);
            }
        }
        Err("no such code".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) -> usize {
        let z = zlib(data);
        assert_eq!(inflate_zlib(&z).unwrap(), data);
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
        let z = zlib(b"some text, some text, some text");
        assert!(inflate_zlib(&z[..z.len() - 1]).is_err());
        let mut bad = z.clone();
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert!(inflate_zlib(&bad).is_err());
        assert!(inflate_zlib(b"not zlib").is_err());
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
}
