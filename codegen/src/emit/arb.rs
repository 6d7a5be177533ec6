//! Emits proptest strategies for every generated type (`arb.rs`, behind the `arbitrary`
//! feature) and the round-trip property tests over them (`roundtrip_tests.rs`): XML for every
//! structure and union, HTTP (headers, query, labels, payload) for every operation input and
//! output, and the awsQuery form for STS.
//!
//! Strategies pick values that can travel where the member is bound: header members get
//! header-safe text, labels get bucket names and keys, XML members get XML-safe text.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Ctx, Holder, xml};
use crate::ir::{Binding, Member, ShapeIr, ShapeKind, Simple};
use crate::names;

/// The strategy function for a shape.
pub fn fn_name(s: &ShapeIr) -> proc_macro2::Ident {
    let module = names::module_for_namespace(s.namespace());
    format_ident!("{}_{}", module, names::snake(s.local_name()))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Body,
    Header,
    HeaderItem,
    Query,
    Bucket,
    Key,
    /// A raw payload: an empty body reads as absent, so never empty.
    Payload,
}

pub fn emit(ctx: &Ctx<'_>) -> TokenStream {
    let fns = ctx
        .named_shapes()
        .filter(|s| !ctx.is_streaming(&s.id))
        .map(|s| strategy_fn(ctx, s));
    quote! {
        use proptest::prelude::*;
        use proptest::strategy::BoxedStrategy;
        use crate::codec::arb;
        #(#fns)*
    }
}

fn strategy_fn(ctx: &Ctx<'_>, s: &ShapeIr) -> TokenStream {
    let f = fn_name(s);
    let ty = names::type_path(&s.id);
    let body = match &s.kind {
        ShapeKind::Structure { .. } => {
            let fields = ctx.fields(s);
            if fields.is_empty() {
                quote!(Just(#ty {}).boxed())
            } else {
                // proptest tuples stop at 12 elements: nest chunks of 8.
                let chunks: Vec<_> = fields.chunks(8).collect();
                let strategies = chunks.iter().map(|chunk| {
                    let parts = chunk.iter().map(|m| member_strategy(ctx, s, m));
                    quote!((#(#parts,)*))
                });
                let patterns = chunks.iter().map(|chunk| {
                    let names = chunk.iter().map(|m| names::field_name(&m.name));
                    quote!((#(#names,)*))
                });
                let names = fields.iter().map(|m| names::field_name(&m.name));
                quote! {
                    (#(#strategies,)*).prop_map(|(#(#patterns,)*)| #ty { #(#names),* }).boxed()
                }
            }
        }
        ShapeKind::Union { members } => {
            let arms = members.iter().map(|m| {
                let v = format_ident!("{}", names::variant_name(&m.name));
                let mut strat = value_strategy(ctx, &m.target, Place::Body);
                if s.boxed_members.contains(&m.name) {
                    strat = quote!(#strat.prop_map(::std::boxed::Box::new));
                }
                quote!(#strat.prop_map(#ty::#v).boxed())
            });
            quote!(proptest::strategy::Union::new(vec![#(#arms),*]).boxed())
        }
        ShapeKind::Enum { values } => {
            let known = if values.is_empty() {
                quote!()
            } else {
                quote!(proptest::sample::select(#ty::VALUES.to_vec()).prop_map(|s| #ty::from_wire(s)).boxed(),)
            };
            quote! {
                proptest::strategy::Union::new(vec![
                    #known
                    "zz[a-z]{1,8}".prop_map(|s| #ty::from_wire(&s)).boxed(),
                ]).boxed()
            }
        }
        ShapeKind::IntEnum { .. } => quote!(any::<i32>().prop_map(#ty).boxed()),
        _ => quote!(unreachable!()),
    };
    quote! {
        /// Any value of this type.
        pub fn #f() -> BoxedStrategy<#ty> { #body }
    }
}

fn place_of(m: &Member) -> Place {
    match &m.binding {
        Binding::Header(_) | Binding::PrefixHeaders(_) => Place::Header,
        Binding::Query(_) => Place::Query,
        Binding::Label { .. } if m.name == "Key" => Place::Key,
        Binding::Label { .. } => Place::Bucket,
        Binding::Payload => Place::Payload,
        _ => Place::Body,
    }
}

fn member_strategy(ctx: &Ctx<'_>, owner: &ShapeIr, m: &Member) -> TokenStream {
    let target = ctx.shape(&m.target);
    let mut strat =
        if let (Binding::PrefixHeaders(_), ShapeKind::Map { .. }) = (&m.binding, &target.kind) {
            quote!(proptest::collection::btree_map(
                arb::metadata_key(),
                arb::header_string(),
                0..3
            ))
        } else {
            value_strategy(ctx, &m.target, place_of(m))
        };
    if owner.boxed_members.contains(&m.name) {
        strat = quote!(#strat.prop_map(::std::boxed::Box::new));
    }
    match ctx.holder(m) {
        Holder::Option => quote!(proptest::option::of(#strat)),
        Holder::Plain | Holder::Collection => strat,
    }
}

fn value_strategy(ctx: &Ctx<'_>, target: &str, place: Place) -> TokenStream {
    let shape = ctx.shape(target);
    match &shape.kind {
        ShapeKind::Simple(simple) => match simple {
            Simple::String | Simple::OpaqueTimestamp | Simple::Document => match place {
                Place::Body => quote!(arb::xml_string()),
                Place::Header => quote!(arb::header_string()),
                Place::HeaderItem => quote!(arb::header_list_item()),
                Place::Query => quote!(arb::query_string()),
                Place::Bucket => quote!(arb::bucket_name()),
                Place::Key => quote!(arb::object_key()),
                Place::Payload => {
                    quote!(arb::xml_string().prop_filter("non-empty", |s| !s.is_empty()))
                }
            },
            Simple::BigNumber => quote!("[1-9][0-9]{0,11}".boxed()),
            Simple::Boolean => quote!(any::<bool>()),
            Simple::Byte => quote!(any::<i8>()),
            Simple::Short => quote!(any::<i16>()),
            Simple::Integer => quote!(any::<i32>()),
            Simple::Long => quote!(any::<i64>()),
            Simple::Float => quote!((-1.0e6f32..1.0e6f32)),
            Simple::Double => quote!((-1.0e12f64..1.0e12f64)),
            Simple::Timestamp => quote!(arb::timestamp()),
            Simple::Blob | Simple::StreamingBlob if place == Place::Payload => {
                quote!(arb::blob().prop_filter("non-empty", |b| !b.as_ref().is_empty()))
            }
            Simple::Blob | Simple::StreamingBlob => quote!(arb::blob()),
        },
        ShapeKind::Enum { .. }
        | ShapeKind::IntEnum { .. }
        | ShapeKind::Structure { .. }
        | ShapeKind::Union { .. } => {
            let f = fn_name(shape);
            quote!(#f())
        }
        ShapeKind::List { member } => {
            let item_place = if place == Place::Header {
                Place::HeaderItem
            } else {
                place
            };
            let item = value_strategy(ctx, &member.target, item_place);
            quote!(proptest::collection::vec(#item, 0..3))
        }
        ShapeKind::Map { key, value } => {
            let k = value_strategy(ctx, key, place);
            let v = value_strategy(ctx, value, place);
            quote!(proptest::collection::btree_map(#k, #v, 0..3))
        }
    }
}

/// The round-trip property tests.
pub fn emit_tests(ctx: &Ctx<'_>) -> TokenStream {
    let xml_tests = ctx
        .named_shapes()
        .filter(|s| {
            matches!(
                s.kind,
                ShapeKind::Structure { .. } | ShapeKind::Union { .. }
            )
        })
        .filter(|s| !ctx.is_streaming(&s.id) && !xml::has_http_bindings(s))
        .map(|s| {
            let f = fn_name(s);
            let test = format_ident!("xml_round_trip_{}", f);
            quote! {
                #[test]
                fn #test() { crate::codec::roundtrip::xml(super::arb::#f()); }
            }
        });
    let s3_ops = ctx
        .ir
        .s3
        .operations
        .iter()
        .filter(|op| !ctx.ir.unroutable.contains(&op.name));
    let http_tests = s3_ops.flat_map(|op| {
        let input = op.input.as_ref().map(|id| {
            let f = fn_name(ctx.shape(id));
            let test = format_ident!("http_round_trip_{}", f);
            let ty = names::type_path(id);
            quote! {
                #[test]
                fn #test() { crate::codec::roundtrip::http_input(super::arb::#f(), #ty::to_http, #ty::from_http); }
            }
        });
        let output = op.output.as_ref().map(|id| {
            let f = fn_name(ctx.shape(id));
            let test = format_ident!("http_round_trip_{}", f);
            let ty = names::type_path(id);
            quote! {
                #[test]
                fn #test() { crate::codec::roundtrip::http_output(super::arb::#f(), #ty::to_http, #ty::from_http); }
            }
        });
        [input, output]
    });
    let sts_tests = ctx.ir.sts.operations.iter().flat_map(|op| {
        let input = op.input.as_ref().map(|id| {
            let f = fn_name(ctx.shape(id));
            let test = format_ident!("query_round_trip_{}", f);
            let ty = names::type_path(id);
            quote! {
                #[test]
                fn #test() { crate::codec::roundtrip::query(super::arb::#f(), #ty::to_query, #ty::from_query); }
            }
        });
        let output = op.output.as_ref().map(|id| {
            let f = fn_name(ctx.shape(id));
            let test = format_ident!("sts_xml_round_trip_{}", f);
            let ty = names::type_path(id);
            quote! {
                #[test]
                fn #test() { crate::codec::roundtrip::sts_xml(super::arb::#f(), #ty::to_xml, #ty::from_xml); }
            }
        });
        [input, output]
    });
    let tests = xml_tests
        .chain(http_tests.flatten())
        .chain(sts_tests.flatten());
    quote!(#(#tests)*)
}
