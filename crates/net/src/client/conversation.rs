//! A conversation kept as the bytes it is sent as.
//!
//! Every request of a case re-sends the whole conversation, pictures included (a full
//! run sends about 1 GB). Each message is serialised once, when it is added, and every
//! later request sends those same buffers, shared, not copied: the body is a list of
//! chunks written to the socket as they are, with an exact `Content-Length`.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use serde_json::{Value, json};

#[derive(Debug, Default, Clone)]
pub struct Conversation {
    messages: Vec<Bytes>,
}

impl Conversation {
    /// Adds a user turn (its content: a string or the content parts).
    pub fn user(&mut self, content: Value) {
        self.push(&json!({"role": "user", "content": content}));
    }

    pub(crate) fn assistant(&mut self, text: &str) {
        self.push(&json!({"role": "assistant", "content": text}));
    }

    /// Serialises into a buffer sized from the message's strings, so a turn carrying
    /// pictures is written once, without the doubling and copying of a growing buffer.
    fn push(&mut self, message: &Value) {
        let mut bytes = Vec::with_capacity(json_size_hint(message));
        serde_json::to_writer(&mut bytes, message).expect("a JSON value always serialises");
        self.messages.push(Bytes::from(bytes));
    }

    /// The messages as a JSON array's chunks: `m1`, `,`, `m2`, ...
    pub(crate) fn array_items(&self) -> impl Iterator<Item = Bytes> + '_ {
        self.messages.iter().enumerate().flat_map(|(i, m)| {
            let comma = (i > 0).then(|| Bytes::from_static(b","));
            comma.into_iter().chain([m.clone()])
        })
    }
}

/// At least the serialised size of a value, and close to it. It must not fall short: a
/// buffer that grows doubles its capacity, and the conversation would keep that slack
/// (twice each picture) for the rest of the case.
fn json_size_hint(value: &Value) -> usize {
    match value {
        // An escape takes at most 6 bytes (`\u001f`) for the 1 it replaces.
        Value::String(s) => {
            let escaped = s.bytes().filter(|&b| b == b'"' || b == b'\\' || b < 0x20);
            s.len() + 2 + 5 * escaped.count()
        }
        Value::Array(items) => 2 + items.iter().map(|v| json_size_hint(v) + 1).sum::<usize>(),
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| k.len() + 4 + json_size_hint(v))
                .sum::<usize>()
        }
        _ => 24,
    }
}

/// A request body made of shared chunks.
pub(crate) struct Chunks {
    queue: VecDeque<Bytes>,
    remaining: u64,
}

impl Chunks {
    pub(crate) fn new(chunks: impl IntoIterator<Item = Bytes>) -> Self {
        let queue: VecDeque<Bytes> = chunks.into_iter().filter(|c| !c.is_empty()).collect();
        let remaining = queue.iter().map(|c| c.len() as u64).sum();
        Chunks { queue, remaining }
    }

    /// The whole body in one buffer (a batch request file's line).
    pub(crate) fn concat(&self) -> Vec<u8> {
        self.queue.iter().flat_map(|c| c.iter().copied()).collect()
    }
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let next = self.queue.pop_front();
        if let Some(chunk) = &next {
            self.remaining -= chunk.len() as u64;
        }
        Poll::Ready(next.map(|chunk| Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.queue.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_serialised_once_and_joined_as_a_json_array() {
        let mut c = Conversation::default();
        c.user(json!([{"type": "text", "text": "Q1 \"quoted\""}]));
        c.assistant("A");
        let mut body = b"[".to_vec();
        body.extend(Chunks::new(c.array_items()).concat());
        body.push(b']');
        let expected = json!([
            {"role": "user", "content": [{"type": "text", "text": "Q1 \"quoted\""}]},
            {"role": "assistant", "content": "A"}
        ]);
        assert_eq!(body, serde_json::to_vec(&expected).unwrap());
        let chunks = Chunks::new(c.array_items());
        assert_eq!(
            http_body::Body::size_hint(&chunks).exact(),
            Some(body.len() as u64 - 2)
        );
    }

    #[test]
    fn the_size_hint_never_falls_short() {
        let value = json!({"role": "user", "content": [
            {"type": "text", "text": "Line 1\nA \"quoted\" \\ back\u{1}slash\ttab é"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            {"n": 1.5e300, "b": true, "x": null, "e": [], "o": {}}
        ]});
        let len = serde_json::to_vec(&value).unwrap().len();
        let hint = json_size_hint(&value);
        assert!(hint >= len && hint < len + 200, "{hint} for {len}");
    }
}
