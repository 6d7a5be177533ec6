//! The dependency rule for the core: no async runtime and no HTTP server may reach
//! `multistore-core`, on the host or on wasm32.
//!
//! The check reads `cargo tree --prefix depth` output, where each line is the depth followed by
//! `name vX.Y.Z …`, and names the full path from the root to each forbidden crate.

/// Crates that must never be normal dependencies of the core.
pub(crate) const FORBIDDEN: &[&str] = &["tokio", "hyper"];

/// Every path (`a -> b -> tokio`) from the root of `tree` to a crate named in `forbidden`.
/// `tree` is the output of `cargo tree --prefix depth`; lines without a depth are skipped.
pub(crate) fn forbidden_paths(tree: &str, forbidden: &[&str]) -> Vec<String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut found = Vec::new();
    for line in tree.lines() {
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        let Ok(depth) = line[..digits].parse::<usize>() else {
            continue;
        };
        let Some(name) = line[digits..].split_whitespace().next() else {
            continue;
        };
        stack.truncate(depth);
        stack.push(name);
        if forbidden.contains(&name) {
            let path = stack.join(" -> ");
            if !found.contains(&path) {
                found.push(path);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_tree_has_no_paths() {
        let tree = "0multistore-core v0.1.0 (/repo/core)\n\
                    1bytes v1.10.1\n\
                    1http v1.3.1\n\
                    2bytes v1.10.1\n";
        assert!(forbidden_paths(tree, FORBIDDEN).is_empty());
    }

    #[test]
    fn every_path_to_a_forbidden_crate_is_named() {
        let tree = "0multistore-core v0.1.0 (/repo/core)\n\
                    1bytes v1.10.1\n\
                    1some-client v0.3.0\n\
                    2hyper v1.6.0\n\
                    3tokio v1.45.0\n\
                    1tokio-util v0.7.0\n\
                    2tokio v1.45.0 (*)\n\
                    \n\
                    1tokio v1.45.0 (*)\n";
        assert_eq!(
            forbidden_paths(tree, FORBIDDEN),
            [
                "multistore-core -> some-client -> hyper",
                "multistore-core -> some-client -> hyper -> tokio",
                "multistore-core -> tokio-util -> tokio",
                "multistore-core -> tokio",
            ]
        );
    }
}
