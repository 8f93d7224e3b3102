//! `fanout` bench: not written yet; its issue replaces this file.

fn main() {}
