//! Answer extraction against the labelled corpora and the official tool's own verdicts.

use liveclin_core::scoring::corpus::{official_letter, read_corpus, robust_letter, score_corpus};
use liveclin_core::scoring::{official, robust};

use crate::common::{jsonl, liveclin, repo};

/// Every reply of the fuzz fixture gets exactly the letter the official Python code gave
/// it (the fixture was produced by running the official `extract_answer`).
#[test]
fn official_rules_match_python_on_random_replies() {
    let cases = jsonl("tests/data/official_extract_fuzz.jsonl");
    assert!(cases.len() >= 4000);
    for case in cases {
        let reply = case["reply"].as_str().unwrap();
        let want = case["official"].as_str().map(String::from);
        let got = official::extract(reply).map(|(l, _)| l);
        assert_eq!(got, want, "reply {reply:?}");
    }
}

/// The development corpus (written to exercise every known weakness) and the held-out
/// corpus (written independently, never looked at while building the extractor).
const CORPORA: [&str; 3] = [
    "tests/data/extraction_corpus.jsonl",
    "tests/data/extraction_heldout.jsonl",
    "tests/data/extraction_dev2.jsonl",
];

/// Each corpus records the official verdict of every reply; ours agrees on each.
#[test]
fn official_rules_match_python_on_the_corpora() {
    for corpus in CORPORA {
        let raw = jsonl(corpus);
        assert!(raw.len() >= 100, "{corpus} holds at least 100 replies");
        for entry in raw {
            let want = entry["official"].as_str().map(String::from);
            let got = official::extract(entry["reply"].as_str().unwrap()).map(|(l, _)| l);
            assert_eq!(got, want, "{corpus}: entry {}", entry["id"]);
        }
    }
}

/// On every reply whose boxed letters agree (and are not inside reasoning), the robust
/// extractor gives the official letter: switching extractor never changes the verdict
/// on a well-formed answer.
#[test]
fn robust_agrees_with_official_on_well_formed_boxed_replies() {
    let entries: Vec<_> = CORPORA
        .iter()
        .flat_map(|c| read_corpus(&repo(c)).unwrap())
        .collect();
    let mut checked = 0;
    for e in &entries {
        let boxed: Vec<String> = e
            .reply
            .match_indices("\\boxed{")
            .map(|(i, _)| e.reply[i + 7..].chars().take(1).collect())
            .collect();
        let well_formed = !boxed.is_empty()
            && !e.reply.contains("<think")
            && boxed.iter().all(|b| {
                b.eq_ignore_ascii_case(&boxed[0]) && b.chars().all(|c| c.is_ascii_alphabetic())
            })
            && e.reply.contains(&format!("\\boxed{{{}}}", boxed[0]));
        let options = e.options.choices();
        if well_formed
            && options
                .iter()
                .any(|o| o.letter.eq_ignore_ascii_case(&boxed[0]))
        {
            checked += 1;
            assert_eq!(robust_letter(e), official_letter(e), "entry {}", e.id);
        }
    }
    assert!(checked >= 50, "only {checked} well-formed boxed replies");
    // And on synthetic ones with distracting text around them.
    for letter in ['A', 'B', 'C', 'D', 'E'] {
        for reply in [
            format!("\\boxed{{{letter}}}"),
            format!(
                "Option A is tempting, vitamin D matters, type I error aside.\n\n\\boxed{{{letter}}}"
            ),
            format!(
                "The answer is \\boxed{{ {} }} (grade C).",
                letter.to_ascii_lowercase()
            ),
            format!("$\\boxed{{{letter}}}$\nI hope this helps."),
        ] {
            let off = official::extract(&reply).map(|(l, _)| l);
            let abcde = robust::Choice::letters(&["A", "B", "C", "D", "E"]);
            let rob = robust::extract(&reply, &abcde).map(|(c, _)| c.to_string());
            assert_eq!(rob, off, "{reply:?}");
            assert_eq!(off, Some(letter.to_string()));
        }
    }
}

/// Accuracy of both extractors on the labelled corpora. The official figures are what
/// the official code scores (measured with it); the robust extractor must read at least
/// 95% of the replies right, and every style at least as well as the official rules.
#[test]
fn robust_extractor_beats_official_on_the_corpora() {
    for (corpus, official_right) in CORPORA.iter().zip([(254, 150), (100, 80), (181, 101)]) {
        let entries = read_corpus(&repo(corpus)).unwrap();
        let score = score_corpus(&entries);
        let (n, official, robust) = score.totals();
        println!("{corpus}\n{}", score.table());
        assert_eq!(
            (n, official),
            official_right,
            "{corpus}: the official verdicts are fixed by the oracle"
        );
        assert!(robust * 100 >= n * 95, "{corpus}: robust read {robust}/{n}");
        for (style, (_, o, r)) in &score.by_style {
            assert!(r >= o, "{corpus}: style {style}: robust {r} < official {o}");
        }
    }
}

/// Reasoning text supplied separately is never read, and the think section is skipped.
#[test]
fn reasoning_is_kept_out_of_extraction() {
    let entries = read_corpus(&repo("tests/data/extraction_corpus.jsonl")).unwrap();
    let with_reasoning: Vec<_> = entries.iter().filter(|e| e.reasoning.is_some()).collect();
    assert!(with_reasoning.len() >= 10);
    for e in with_reasoning {
        assert_eq!(robust_letter(e), e.label, "entry {}", e.id);
        // Reasoning that arrives inside the reply as a think section is skipped too.
        let options = e.options.choices();
        let inline = format!(
            "<think>{}</think>\n{}",
            e.reasoning.as_deref().unwrap(),
            e.reply
        );
        let letter = robust::extract(&inline, &options).map(|(c, _)| c.to_string());
        assert_eq!(letter, e.label, "entry {} with its reasoning inline", e.id);
    }
}

#[test]
fn extract_command_reports_both_verdicts_and_rules() {
    liveclin()
        .args([
            "extract",
            "--options",
            "ABCD",
            "Option A is tempting, but the answer is C.",
        ])
        .assert()
        .success()
        .stdout("official: A (rule answer-word)\nrobust:   C (rule phrase)\n");
    liveclin()
        .args(["extract", "--corpus", "tests/data/extraction_corpus.jsonl"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "all                      254      59.1%",
        ));
}

/// The figures the README reports for the corpora the rules were developed on (the
/// earlier held-out corpora became development corpora once measured: their misses
/// shaped the rules of 2026-12-01; `heldout3_corpus.jsonl` to `heldout9_corpus.jsonl`
/// were each measured once before that, at 91.2%, 88.9%, 87.4%, 88.0%, 90.1%, 92.0% and
/// 92.3%, the figures the README gives for them). A change to either extractor that moves these counts
/// must update the README's table.
#[test]
fn the_development_figures_are_the_ones_the_readme_reports() {
    for (corpus, counts) in [
        ("tests/data/heldout_corpus.jsonl", (467, 319, 464)),
        ("tests/data/heldout2_corpus.jsonl", (386, 265, 383)),
        ("tests/data/heldout3_corpus.jsonl", (476, 323, 473)),
        ("tests/data/heldout4_corpus.jsonl", (470, 322, 455)),
        ("tests/data/heldout5_corpus.jsonl", (484, 352, 460)),
        ("tests/data/heldout6_corpus.jsonl", (465, 315, 441)),
        ("tests/data/heldout7_corpus.jsonl", (477, 325, 445)),
        ("tests/data/heldout8_corpus.jsonl", (465, 307, 441)),
        ("tests/data/heldout9_corpus.jsonl", (466, 324, 430)),
    ] {
        let entries = read_corpus(&repo(corpus)).unwrap();
        assert_eq!(score_corpus(&entries).totals(), counts, "{corpus}");
    }
}
