//! The README's library section shows `examples/quickstart.rs`: its Rust
//! code block must be that file's code (everything after the file's `//!`
//! header), so the two cannot drift apart.

const README: &str = include_str!("../README.md");
const QUICKSTART: &str = include_str!("../examples/quickstart.rs");

/// The first ```rust block after the "## Use it as a library" heading.
fn readme_snippet() -> String {
    let section = README
        .split("## Use it as a library")
        .nth(1)
        .expect("README has a `## Use it as a library` section");
    let start = section.find("```rust\n").expect("the section has a ```rust block") + "```rust\n".len();
    let len = section[start..].find("\n```").expect("the block is closed");
    section[start..start + len].to_owned()
}

/// The example without its leading `//!` doc comment and blank lines.
fn quickstart_code() -> String {
    QUICKSTART
        .lines()
        .skip_while(|l| l.starts_with("//!") || l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
        .to_owned()
}

#[test]
fn readme_library_section_is_the_quickstart_example() {
    let snippet = readme_snippet();
    let code = quickstart_code();
    assert!(code.contains("Gridbot::builder()"), "quickstart uses the builder");
    assert_eq!(
        snippet, code,
        "README.md's library snippet differs from examples/quickstart.rs; copy the example's code into the README"
    );
}

#[test]
fn readme_keeps_its_two_setup_commands() {
    assert!(README.contains("cargo run --release -- serve"));
    assert!(README.contains("cargo test --workspace"));
}
