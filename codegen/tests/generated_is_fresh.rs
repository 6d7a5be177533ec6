//! `core/src/generated/` is exactly what the generator writes from the pinned models, so plain
//! `cargo test` catches drift as `cargo xtask codegen --check` does.

mod support;

use multistore_codegen::{Inputs, generate};

#[test]
fn committed_generated_code_matches_the_generator() {
    let Some(models_dir) = support::models_dir() else {
        return;
    };
    let root = support::repo_root();
    let files = generate(&Inputs {
        models_dir,
        model_dir: root.join("model"),
        all_operations: false,
    })
    .expect("the generator runs");
    let dir = root.join("core/src/generated");
    let mut stale = Vec::new();
    for file in &files {
        let committed = std::fs::read_to_string(dir.join(&file.path)).unwrap_or_default();
        if committed != file.contents {
            stale.push(file.path.clone());
        }
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("core/src/generated exists")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    on_disk.sort();
    let mut generated: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    generated.sort();
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run `cargo xtask codegen`"
    );
    assert_eq!(
        on_disk, generated,
        "extra or missing generated files: run `cargo xtask codegen`"
    );
}

#[test]
fn generation_is_deterministic() {
    let Some(models_dir) = support::models_dir() else {
        return;
    };
    let inputs = Inputs {
        models_dir,
        model_dir: support::repo_root().join("model"),
        all_operations: false,
    };
    assert_eq!(
        generate(&inputs).expect("first run"),
        generate(&inputs).expect("second run")
    );
}
