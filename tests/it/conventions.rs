//! What users of well-loved CLIs expect: colour only where it belongs, -q and -v,
//! completions, commands in workflow order.

use liveclin_net::mock::MockConfig;
use predicates::prelude::*;

use crate::common::{evaluate, liveclin, mock_server};

const ESC: &str = "\u{1b}[";

/// Colour on stderr follows --color, then NO_COLOR, then CLICOLOR_FORCE; a pipe (as
/// here) gets none by default; stdout never does.
#[test]
fn colour_follows_the_flag_and_the_environment() {
    let failing = |extra: &[&str], env: &[(&str, &str)]| {
        let mut cmd = liveclin();
        cmd.args(["report", "/nonexistent.json"]).args(extra);
        cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.assert().code(2).get_output().clone();
        String::from_utf8(out.stderr).unwrap()
    };
    assert!(!failing(&[], &[]).contains(ESC), "a pipe gets no colour");
    assert!(failing(&["--color", "always"], &[]).contains(&format!("{ESC}1;31merror:")));
    assert!(!failing(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]).contains(ESC));
    assert!(failing(&[], &[("CLICOLOR_FORCE", "1")]).contains(ESC));
    assert!(!failing(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains(ESC));
    // The official summary on stdout stays plain even when colour is forced.
    liveclin()
        .args([
            "report",
            "tests/fixtures/official/results-url.json",
            "--color",
            "always",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(ESC).not());
}

/// -q leaves only warnings, errors and results; -v adds every retry.
#[test]
fn quiet_and_verbose_set_how_much_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, flag: &str| {
        // A server of its own: its faults hit the first attempt of a turn only.
        let server = mock_server(MockConfig {
            faults: [("500".to_string(), 0.2)].into(),
            retry_after: 0,
            ..MockConfig::default()
        });
        let out = evaluate(
            &server.base,
            &dir.path().join(name),
            &["--image-mode", "url", flag],
        )
        .assert()
        .success()
        .get_output()
        .clone();
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (stdout, quiet) = run("quiet.json", "-q");
    assert!(!quiet.contains("Loaded 16 cases"), "{quiet}");
    assert!(!quiet.contains("[verbose]"), "{quiet}");
    assert!(
        quiet.contains("Question Accuracy"),
        "the headline stays: {quiet}"
    );
    assert!(
        stdout.contains("Question Accuracy:"),
        "results stay: {stdout}"
    );
    let (_, normal) = run("normal.json", "--color=never");
    assert!(
        normal.contains("Loaded 16 cases") && !normal.contains("[verbose]"),
        "{normal}"
    );
    let (_, verbose) = run("verbose.json", "-v");
    assert!(
        verbose.contains("[verbose]") && verbose.contains("retrying"),
        "{verbose}"
    );
}

/// `completions SHELL` prints a script that knows the commands and their flags.
#[test]
fn completions_know_the_commands() {
    for (shell, marker) in [
        ("bash", "_liveclin"),
        ("zsh", "#compdef liveclin"),
        ("fish", "complete -c liveclin"),
    ] {
        liveclin()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains(marker))
            .stdout(predicate::str::contains("check-vision"))
            .stdout(predicate::str::contains("allow-change"));
    }
}

/// `--help` lists the commands in the order a run uses them.
#[test]
fn commands_are_listed_in_workflow_order() {
    let out = liveclin()
        .arg("--help")
        .assert()
        .success()
        .get_output()
        .clone();
    let help = String::from_utf8(out.stdout).unwrap();
    let at = |name: &str| {
        help.find(&format!("\n  {name} "))
            .unwrap_or_else(|| panic!("{name}: {help}"))
    };
    let order = [
        "demo",
        "download",
        "validate",
        "serve",
        "check-vision",
        "evaluate",
        "report",
        "compare",
        "merge",
    ];
    assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "{help}");
    assert!(help.contains("Exit status:"), "{help}");
}
