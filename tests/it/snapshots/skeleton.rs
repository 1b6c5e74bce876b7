//! The skeleton of an HTML page, for a snapshot: its tree of elements, one per line and
//! indented by depth, each with its tag, id, classes, other attributes and text, so that
//! a change of structure or wording shows as a diff. What says nothing of the structure
//! is left out: the bodies of scripts and styles (the code, and the compressed
//! transcripts with their base64), and inside SVG every attribute but id, class, role and
//! `aria-*` (coordinates, path data, colours). Identical neighbours (a chart's stripes and
//! grid lines) are one line with a count.
//!
//! The parser is strict where a browser forgives: the pages are generated, so an end tag
//! that does not close the open element, an element left open or an unquoted attribute
//! value fails the test.

/// Elements with no content and no end tag.
const VOID: [&str; 13] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Elements whose content is raw text up to their end tag: elided.
const RAW: [&str; 2] = ["script", "style"];

enum Node {
    Element(Element),
    Text(String),
    /// `<!DOCTYPE html>`, without its brackets.
    Declaration(String),
}

struct Element {
    name: String,
    /// In the page's order; `None` for an attribute without a value (`checked`).
    attributes: Vec<(String, Option<String>)>,
    children: Vec<Node>,
}

impl Element {
    fn new(name: &str) -> Self {
        Element {
            name: name.to_string(),
            attributes: Vec::new(),
            children: Vec::new(),
        }
    }
}

/// The skeleton of `page`, one line per element or text, ending with a newline.
pub(crate) fn skeleton(page: &str) -> String {
    let mut out = String::new();
    for line in render_all(&parse(page), false) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn parse(page: &str) -> Vec<Node> {
    // The open elements, innermost last, under a nameless root.
    let mut open = vec![Element::new("")];
    let mut rest = page;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("</") {
            let end = after.find('>').expect("an end tag ends");
            let element = open.pop().unwrap();
            assert_eq!(
                element.name,
                &after[..end],
                "an end tag that closes another element"
            );
            add(&mut open, Node::Element(element));
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix("<!") {
            let end = after.find('>').expect("a declaration ends");
            add(&mut open, Node::Declaration(after[..end].to_string()));
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix('<') {
            let (mut element, after, self_closing) = start_tag(after);
            rest = after;
            if RAW.contains(&element.name.as_str()) {
                let end_tag = format!("</{}>", element.name);
                let end = rest.find(&end_tag).expect("a script or style ends");
                element.children.push(Node::Text(rest[..end].to_string()));
                rest = &rest[end + end_tag.len()..];
                add(&mut open, Node::Element(element));
            } else if self_closing || VOID.contains(&element.name.as_str()) {
                add(&mut open, Node::Element(element));
            } else {
                open.push(element);
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            add(&mut open, Node::Text(rest[..end].to_string()));
            rest = &rest[end..];
        }
    }
    assert_eq!(
        open.len(),
        1,
        "<{}> is never closed",
        open.last().unwrap().name
    );
    open.pop().unwrap().children
}

/// Adds `node` to the innermost open element.
fn add(open: &mut [Element], node: Node) {
    open.last_mut().unwrap().children.push(node);
}

/// The element that the start tag at the start of `text` (after its `<`) opens, the text
/// after the tag, and whether the tag closed itself (`<rect .../>`).
fn start_tag(text: &str) -> (Element, &str, bool) {
    let end = text
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .expect("a start tag ends");
    let mut element = Element::new(&text[..end]);
    let mut rest = &text[end..];
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("/>") {
            return (element, after, true);
        }
        if let Some(after) = rest.strip_prefix('>') {
            return (element, after, false);
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '>' || c == '/')
            .expect("an attribute ends");
        let name = rest[..end].to_string();
        rest = &rest[end..];
        let value = match rest.strip_prefix('=') {
            Some(after) => {
                let after = after
                    .strip_prefix('"')
                    .unwrap_or_else(|| panic!("the value of {name} is not quoted"));
                let end = after.find('"').expect("a value ends");
                rest = &after[end + 1..];
                Some(after[..end].to_string())
            }
            None => None,
        };
        element.attributes.push((name, value));
    }
}

/// The lines of `nodes`, each run of identical neighbours as one (its first line followed
/// by ` ×N`); text that is only line breaks between elements is left out.
fn render_all(nodes: &[Node], in_svg: bool) -> Vec<String> {
    let rendered: Vec<Vec<String>> = nodes
        .iter()
        .filter(|node| !matches!(node, Node::Text(t) if t.trim_matches('\n').is_empty()))
        .map(|node| render(node, in_svg))
        .collect();
    let mut lines = Vec::new();
    let mut i = 0;
    while i < rendered.len() {
        let same = rendered[i..]
            .iter()
            .take_while(|r| **r == rendered[i])
            .count();
        let mut block = rendered[i].clone();
        if same > 1 {
            block[0].push_str(&format!(" ×{same}"));
        }
        lines.extend(block);
        i += same;
    }
    lines
}

/// The lines of one node: an element's line, then its children's, indented.
fn render(node: &Node, in_svg: bool) -> Vec<String> {
    let element = match node {
        Node::Text(text) => return vec![format!("{text:?}")],
        Node::Declaration(text) => return vec![format!("!{text}")],
        Node::Element(element) => element,
    };
    let in_svg = in_svg || element.name == "svg";
    let value_of = |wanted: &str| {
        element
            .attributes
            .iter()
            .find_map(|(name, value)| (name == wanted).then_some(value.as_deref()).flatten())
    };
    let mut head = element.name.clone();
    if let Some(id) = value_of("id") {
        head.push_str(&format!("#{id}"));
    }
    for class in value_of("class").unwrap_or("").split_whitespace() {
        head.push_str(&format!(".{class}"));
    }
    for (name, value) in &element.attributes {
        let shown = !matches!(name.as_str(), "id" | "class")
            && (!in_svg || name == "role" || name.starts_with("aria-"));
        match value {
            Some(value) if shown => head.push_str(&format!(" {name}=\"{value}\"")),
            None if shown => head.push_str(&format!(" {name}")),
            _ => {}
        }
    }
    if RAW.contains(&element.name.as_str()) {
        head.push_str(" [elided]");
        return vec![head];
    }
    let children = render_all(&element.children, in_svg);
    match children.as_slice() {
        [only] if only.starts_with('"') => vec![format!("{head} {only}")],
        _ => std::iter::once(head)
            .chain(children.into_iter().map(|line| format!("  {line}")))
            .collect(),
    }
}

#[test]
fn a_page_becomes_its_tree_with_scripts_and_svg_details_left_out() {
    let page = "<!DOCTYPE html>\n<html lang=\"en\"><head><style>b{x:1}</style></head>\n\
        <body><p id=\"n\" class=\"note warn\">One <b>two</b> </p><input type=\"radio\" checked>\n\
        <svg class=\"chart\" viewBox=\"0 0 9 9\" role=\"img\"><rect x=\"1\"/><rect x=\"2\"/>\
        <text x=\"3\" aria-hidden=\"true\"><tspan>7%</tspan></text></svg>\
        <script>const Z = \"eF7d\";</script></body></html>\n";
    assert_eq!(
        skeleton(page),
        "!DOCTYPE html\n\
         html lang=\"en\"\n\
        \x20 head\n\
        \x20   style [elided]\n\
        \x20 body\n\
        \x20   p#n.note.warn\n\
        \x20     \"One \"\n\
        \x20     b \"two\"\n\
        \x20     \" \"\n\
        \x20   input type=\"radio\" checked\n\
        \x20   svg.chart role=\"img\"\n\
        \x20     rect ×2\n\
        \x20     text aria-hidden=\"true\"\n\
        \x20       tspan \"7%\"\n\
        \x20   script [elided]\n"
    );
}

#[test]
#[should_panic(expected = "an end tag that closes another element")]
fn a_misnested_page_fails() {
    skeleton("<div><span></div></span>");
}

#[test]
#[should_panic(expected = "<main> is never closed")]
fn an_element_left_open_fails() {
    skeleton("<main><div></div>");
}

#[test]
#[should_panic(expected = "the value of content is not quoted")]
fn an_unquoted_value_fails() {
    skeleton("<meta content=x>");
}
