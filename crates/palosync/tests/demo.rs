//! `palosync demo` is the README's first command: it must run on a fresh machine with nothing
//! but the binary, tell the whole story, and leave the operator's rules alone. (Its speed is
//! measured, not asserted: see the closing note of issue 7.)

use std::process::Command;

#[test]
fn the_demo_tells_the_whole_story_and_leaves_operator_rules_alone() {
    let output = Command::new(env!("CARGO_BIN_EXE_palosync"))
        .arg("demo")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .expect("palosync runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    for line in [
        "Rulebase before:",
        "1. alice starts the web server (StartInstances)",
        "create i-063f65da874007cb4-1: allow",
        "create sg-0a9b7e3ea1d1d784f-1: allow any/tcp_8443 from 198.51.100.0/24",
        "no rule needed: 10.0.10.25 from 203.0.113.7/32 already allowed by ops-bastion-ssh",
        "delete service object tcp_8443",
        "5. alice stops the web server (StopInstances)",
        "Rulebase after (committed):",
        "Operator rules unchanged, entry for entry.",
        "In short:",
        "a stop and a start for no commit",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    // Five events, four of them change something: four commits by palosync, plus the one that
    // set up the operator's rules. The shadowed step commits nothing. Act two: the sync into
    // group mode commits once; the stop and the start only register.
    assert_eq!(stdout.matches("one commit (job").count(), 5, "{stdout}");
    assert!(stdout.contains("6 commits in all"), "{stdout}");
    // Two rules to two addresses of one server read apart (issue 16, item 5).
    assert!(
        stdout.contains("to 10.0.10.25 (") && stdout.contains("to 10.0.10.26 ("),
        "{stdout}"
    );
    assert_eq!(
        stdout
            .matches("no commit (a registration takes effect at once)")
            .count(),
        2,
        "{stdout}"
    );
    // After the instance stopped, no managed rule is left.
    let after = stdout.split("Rulebase after").nth(1).unwrap_or_default();
    let after = after.split("Act two").next().unwrap_or_default();
    assert!(!after.contains("i-063f65da874007cb4-"), "{after}");
    assert!(!after.contains("sg-0a9b7e3ea1d1d784f-"), "{after}");
    // In group mode, the web group's rules point at its dynamic address group.
    let groups = stdout
        .split("Rulebase in group mode")
        .nth(1)
        .unwrap_or_default();
    assert!(
        groups.contains("to palosync.sg-0a9b7e3ea1d1d784f"),
        "{groups}"
    );
    assert!(stdout.contains("register 10.0.10.25 as"), "{stdout}");
    assert!(stdout.contains("unregister 10.0.10.25 as"), "{stdout}");
}
