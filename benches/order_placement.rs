//! `order_placement` bench: not written yet; its issue replaces this file.

fn main() {}
