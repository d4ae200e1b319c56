//! Keeps the table of checks in the test server's crate docs true: every row names at least one
//! test, and every test it names exists in `tests/server/`.

use std::path::Path;

#[test]
fn every_check_in_the_table_names_existing_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs = std::fs::read_to_string(root.join("test-server/src/lib.rs")).expect("lib.rs");
    let rows: Vec<&str> = docs
        .lines()
        .filter_map(|l| l.strip_prefix("//! | "))
        .filter(|l| !l.starts_with("Check |") && !l.starts_with("---"))
        .collect();
    assert!(rows.len() >= 20, "the table lost rows: {}", rows.len());
    for row in rows {
        let tests_cell = row
            .trim_end_matches(" |")
            .rsplit(" | ")
            .next()
            .unwrap_or("");
        let names: Vec<&str> = tests_cell
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|t| t.contains("::"))
            .collect();
        assert!(!names.is_empty(), "no test named for: {row}");
        for name in names {
            let (module, function) = name.split_once("::").expect("module::function");
            let source = std::fs::read_to_string(root.join(format!("tests/server/{module}.rs")))
                .unwrap_or_else(|e| panic!("{name}: tests/server/{module}.rs: {e}"));
            assert!(
                source.contains(&format!("fn {function}(")),
                "{name} (named in the table) does not exist"
            );
        }
    }
}
