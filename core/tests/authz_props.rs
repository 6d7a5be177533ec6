//! Property tests of `authorize` against an obviously-correct reference: random scopes and
//! checks (and requests), with key coverage decided by brute force over a small universe of keys.
//! Nothing outside a principal's scopes is ever allowed, prefix boundaries hold, and anonymous
//! callers never get a write.

use std::sync::OnceLock;

use multistore_core::authz::{
    Action, ActionSet, BucketPattern, Check, Class, Identity, Principal, Scope, Target, authorize,
    authorize_all, required_access,
};
use multistore_core::s3::{
    CopyObjectRequest, DeleteObjectRequest, GetObjectRequest, ListObjectsV2Request,
    PutObjectRequest, S3Request,
};
use proptest::prelude::*;

const KEY_CHARS: [char; 3] = ['a', '-', '/'];
const MAX_KEY: usize = 6;

/// Every key over KEY_CHARS up to MAX_KEY characters.
fn universe() -> &'static [String] {
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut all = vec![String::new()];
        let mut layer = vec![String::new()];
        for _ in 0..MAX_KEY {
            layer = layer
                .iter()
                .flat_map(|k| KEY_CHARS.iter().map(move |c| format!("{k}{c}")))
                .collect();
            all.extend(layer.iter().cloned());
        }
        all
    })
}

/// The documented meaning of a granted prefix, spelled out case by case.
fn covers(granted: &str, key: &str) -> bool {
    granted.is_empty()
        || key == granted
        || key.starts_with(&format!("{granted}/"))
        || (granted.ends_with('/') && key.starts_with(granted))
}

/// A listing is allowed when every key it could return (in the universe) is covered.
fn covers_listing(granted: &str, list_prefix: &str) -> bool {
    universe()
        .iter()
        .filter(|k| k.starts_with(list_prefix))
        .all(|k| covers(granted, k))
}

/// Naive recursive glob.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        Some((c, rest)) => text.first() == Some(c) && glob(rest, &text[1..]),
    }
}

fn grants_action(scope: &Scope, action: Action) -> bool {
    scope.actions.contains(action)
        || (action == Action::HeadObject && scope.actions.contains(Action::GetObject))
}

fn reference(scopes: &[Scope], check: &Check) -> bool {
    scopes.iter().any(|s| {
        grants_action(s, check.action)
            && match &check.target {
                Target::Service => true,
                target => {
                    glob(s.bucket.as_str().as_bytes(), check.bucket.as_bytes())
                        && match target {
                            Target::Key(k) => s.prefixes.iter().any(|g| covers(g, k)),
                            Target::Prefix(p) => s.prefixes.iter().any(|g| covers_listing(g, p)),
                            _ => true,
                        }
                }
            }
    })
}

const BUCKETS: [&str; 5] = ["abc", "abd", "xbc", "ab-c", "a.b.c"];
const PATTERNS: [&str; 8] = ["abc", "ab*", "*c", "*", "a*c", "x*", "ab-*", "a.b.c"];

fn action() -> impl Strategy<Value = Action> {
    prop::sample::select(Action::ALL.to_vec())
}

fn actions() -> impl Strategy<Value = ActionSet> {
    prop_oneof![
        prop::collection::vec(action(), 1..4).prop_map(|v| v.into_iter().collect()),
        Just(ActionSet::read()),
        Just(ActionSet::write()),
        Just(ActionSet::all()),
    ]
}

fn key() -> impl Strategy<Value = String> {
    "[a/-]{0,6}"
}

fn prefix() -> impl Strategy<Value = String> {
    "[a/-]{0,4}"
}

fn scope() -> impl Strategy<Value = Scope> {
    (
        prop::sample::select(PATTERNS.to_vec()),
        prop::collection::vec(prefix(), 1..3),
        actions(),
    )
        .prop_map(|(bucket, prefixes, actions)| Scope {
            bucket: BucketPattern::new(bucket).unwrap_or_else(|_| BucketPattern::any()),
            prefixes,
            actions,
        })
}

fn check() -> impl Strategy<Value = Check> {
    let bucket = prop::sample::select(BUCKETS.to_vec());
    (bucket, action(), 0..4u8, key(), prefix()).prop_map(|(b, action, t, k, p)| {
        let target = match t {
            0 => Target::Service,
            1 => Target::Bucket,
            2 => Target::Key(k),
            _ => Target::Prefix(p),
        };
        let bucket = if target == Target::Service { "" } else { b };
        Check {
            bucket: bucket.to_owned(),
            target,
            action,
        }
    })
}

fn principal(scopes: Vec<Scope>) -> Identity {
    Identity::Principal(Principal {
        name: "p".into(),
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        scopes,
    })
}

fn request() -> impl Strategy<Value = S3Request> {
    let bucket = || prop::sample::select(BUCKETS.to_vec()).prop_map(str::to_owned);
    prop_oneof![
        (bucket(), key()).prop_map(|(bucket, key)| S3Request::GetObject(GetObjectRequest {
            bucket,
            key,
            ..Default::default()
        })),
        (bucket(), key()).prop_map(|(bucket, key)| S3Request::PutObject(PutObjectRequest {
            bucket,
            key,
            ..Default::default()
        })),
        (bucket(), key()).prop_map(
            |(bucket, key)| S3Request::DeleteObject(DeleteObjectRequest {
                bucket,
                key,
                ..Default::default()
            })
        ),
        (bucket(), prop::option::of(prefix())).prop_map(|(bucket, prefix)| {
            S3Request::ListObjectsV2(ListObjectsV2Request {
                bucket,
                prefix,
                ..Default::default()
            })
        }),
        (bucket(), key(), bucket(), "a[a/-]{0,5}").prop_map(|(bucket, key, src, src_key)| {
            S3Request::CopyObject(CopyObjectRequest {
                bucket,
                key,
                copy_source: format!("{src}/{src_key}"),
                ..Default::default()
            })
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn authorize_agrees_with_the_reference(
        scopes in prop::collection::vec(scope(), 0..4),
        check in check(),
    ) {
        let decided = authorize(&principal(scopes.clone()), false, &check).is_ok();
        prop_assert_eq!(decided, reference(&scopes, &check), "{:?} {:?}", scopes, check);
    }

    #[test]
    fn no_request_outside_the_scopes_is_allowed(
        scopes in prop::collection::vec(scope(), 0..4),
        request in request(),
    ) {
        let access = required_access(&request);
        prop_assert!(access.is_ok());
        let access = access.unwrap_or_default();
        let allowed = authorize_all(&principal(scopes.clone()), |_| false, &access).is_ok();
        let expected = access.checks.iter().all(|c| reference(&scopes, c));
        prop_assert_eq!(allowed, expected);
    }

    #[test]
    fn prefix_boundaries_hold(granted in "[a-]{1,4}", rest in "[a-][a/-]{0,3}") {
        // `granted` has no trailing slash; a sibling key sharing its characters is not covered.
        let p = principal(vec![Scope {
            bucket: BucketPattern::any(),
            prefixes: vec![granted.clone()],
            actions: ActionSet::all(),
        }]);
        let ok = |target: Target, action: Action| {
            authorize(&p, false, &Check { bucket: "abc".into(), target, action }).is_ok()
        };
        let get = |key: &str| ok(Target::Key(key.to_owned()), Action::GetObject);
        let list = |prefix: &str| ok(Target::Prefix(prefix.to_owned()), Action::ListBucket);
        let sibling = format!("{granted}{rest}");
        let inside = format!("{granted}/{rest}");
        let directory = format!("{granted}/");
        prop_assert!(!get(&sibling));
        prop_assert!(get(&granted));
        prop_assert!(get(&inside));
        prop_assert!(!list(&granted));
        prop_assert!(!list(&sibling));
        prop_assert!(!list(""));
        prop_assert!(list(&directory));
        prop_assert!(list(&inside));
    }

    #[test]
    fn anonymous_never_writes(check in check(), public in any::<bool>()) {
        let writes = check.action.class() != Class::Read;
        let decided = authorize(&Identity::Anonymous, public, &check).is_ok();
        if writes {
            prop_assert!(!decided);
        }
        if decided {
            prop_assert!(public && ActionSet::anonymous().contains(check.action));
            prop_assert!(check.target != Target::Service);
        }
    }
}
