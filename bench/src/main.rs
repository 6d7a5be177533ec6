//! The load generator behind `cargo xtask bench` (issue #9): not written yet.

fn main() {
    eprintln!("not implemented yet: see issue #9");
    std::process::exit(2);
}
