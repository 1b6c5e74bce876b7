//! A round's request files: one line per request, `{"custom_id", "method", "url",
//! "body"}` with the body exactly as the live client sends it, cut into files that stay
//! under the provider's limits (50,000 requests and 200 MB a file).

use super::wire::CHAT_ENDPOINT;

/// OpenAI's limits on one batch input file.
pub(crate) const MAX_REQUESTS: usize = 50_000;
pub(crate) const MAX_BYTES: usize = 200_000_000;

/// A request file being filled; `seq` numbers the run's files and enters every custom id
/// in it, so a request asked again later (a retry, a resumed run) never reuses an id.
pub(crate) struct Part {
    pub(crate) seq: usize,
    pub(crate) lines: usize,
    pub(crate) bytes: Vec<u8>,
}

/// Cuts a round's requests into files.
pub(crate) struct Parts {
    current: Part,
    max_requests: usize,
    max_bytes: usize,
}

impl Parts {
    pub(crate) fn new(first_seq: usize, max_requests: usize, max_bytes: usize) -> Self {
        Parts {
            current: Part {
                seq: first_seq,
                lines: 0,
                bytes: Vec::new(),
            },
            max_requests,
            max_bytes,
        }
    }

    /// Adds the request for `turn` (0-based) of case `case_id`; returns the file it
    /// filled, if this request did not fit in it.
    pub(crate) fn push(&mut self, case_id: &str, turn: usize, body: &[u8]) -> Option<Part> {
        let mut line = self.line(case_id, turn, body);
        let full = self.current.lines > 0
            && (self.current.lines + 1 > self.max_requests
                || self.current.bytes.len() + line.len() > self.max_bytes);
        let done = full.then(|| {
            let next = Part {
                seq: self.current.seq + 1,
                lines: 0,
                bytes: Vec::new(),
            };
            std::mem::replace(&mut self.current, next)
        });
        if done.is_some() {
            line = self.line(case_id, turn, body);
        }
        self.current.bytes.append(&mut line);
        self.current.lines += 1;
        done
    }

    /// The last file, unless it is empty.
    pub(crate) fn finish(self) -> Option<Part> {
        (self.current.lines > 0).then_some(self.current)
    }

    fn line(&self, case_id: &str, turn: usize, body: &[u8]) -> Vec<u8> {
        let id = serde_json::Value::from(custom_id(case_id, turn, self.current.seq));
        let mut line = Vec::with_capacity(body.len() + 128);
        line.extend_from_slice(br#"{"custom_id":"#);
        line.extend_from_slice(id.to_string().as_bytes());
        line.extend_from_slice(br#","method":"POST","url":""#);
        line.extend_from_slice(CHAT_ENDPOINT.as_bytes());
        line.extend_from_slice(br#"","body":"#);
        line.extend_from_slice(body);
        line.extend_from_slice(b"}\n");
        line
    }
}

/// `<case id>|q<question, from 1>|f<file>`.
pub(crate) fn custom_id(case_id: &str, turn: usize, seq: usize) -> String {
    format!("{case_id}|q{}|f{seq}", turn + 1)
}

/// The case id and turn (0-based) a custom id names (a case id may itself hold `|`).
pub(crate) fn parse_custom_id(id: &str) -> Option<(&str, usize)> {
    let mut fields = id.rsplitn(3, '|');
    let _file = fields.next()?.strip_prefix('f')?;
    let question: usize = fields.next()?.strip_prefix('q')?.parse().ok()?;
    Some((fields.next()?, question.checked_sub(1)?))
}

#[cfg(test)]
mod tests {
    use super::super::wire::RequestLine;
    use super::*;

    #[test]
    fn files_are_cut_before_either_limit_and_lines_read_back() {
        let body = br#"{"model":"m","messages":[]}"#;
        let mut parts = Parts::new(7, 3, 400);
        let mut done = Vec::new();
        for turn in 0..8 {
            done.extend(parts.push("PMC|1", turn, body));
        }
        done.extend(parts.finish());
        let counts: Vec<usize> = done.iter().map(|p| p.lines).collect();
        // 3 requests per file, as long as 3 lines fit in 400 bytes.
        assert_eq!(counts, [3, 3, 2]);
        assert_eq!(done.iter().map(|p| p.seq).collect::<Vec<_>>(), [7, 8, 9]);
        let text = String::from_utf8(done[1].bytes.clone()).unwrap();
        let lines: Vec<RequestLine> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0].custom_id, "PMC|1|q4|f8");
        assert_eq!(parse_custom_id(&lines[0].custom_id), Some(("PMC|1", 3)));
        assert_eq!(serde_json::to_vec(&lines[0].body).unwrap(), body);
        assert_eq!(
            (lines[0].method.as_str(), lines[0].url.as_str()),
            ("POST", CHAT_ENDPOINT)
        );
        let mut small = Parts::new(0, 100, 150);
        let one = small.push("a", 0, body);
        assert!(one.is_none());
        assert!(
            small.push("a", 1, body).is_some(),
            "the byte limit cuts too"
        );
        assert_eq!(parse_custom_id("x|q0|f1"), None);
        assert_eq!(parse_custom_id("nonsense"), None);
    }
}
