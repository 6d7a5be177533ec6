//! Emits XML writers and readers (`XmlWrite` / `XmlRead`) for structures and unions,
//! honouring xmlName, xmlFlattened, xmlAttribute and xmlNamespace. Readers skip unknown
//! elements and accept any order; writers follow the model's member order, led by the
//! overlay's `xmlMemberOrder`.
//!
//! The member-level expressions are public: the HTTP binding emitter uses them to read and
//! write the XML body members of operation inputs and outputs.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Ctx, Holder, Location, format_tokens};
use crate::ir::{Binding, Member, ShapeIr, ShapeKind, Simple};
use crate::names;

/// XML impls for every structure and union in the IR.
pub fn emit(ctx: &Ctx<'_>) -> TokenStream {
    let impls = ctx.named_shapes().map(|s| match &s.kind {
        ShapeKind::Structure { .. } => structure(ctx, s),
        ShapeKind::Union { members } if !ctx.is_streaming(&s.id) => union(ctx, s, members),
        _ => quote!(),
    });
    quote! {
        use crate::codec::xml::{Element, XmlError, XmlWriter};
        use crate::codec::xml_value::{XmlRead, XmlWrite};
        #(#impls)*
    }
}

/// Whether a structure has members bound outside the body (an operation input or output).
pub fn has_http_bindings(s: &ShapeIr) -> bool {
    s.members().iter().any(|m| m.binding != Binding::Body)
}

/// Body members of a structure, in write order.
pub fn body_members<'s>(ctx: &Ctx<'_>, s: &'s ShapeIr) -> Vec<&'s Member> {
    let fields: Vec<&Member> = ctx
        .fields(s)
        .into_iter()
        .filter(|m| m.binding == Binding::Body)
        .collect();
    let mut ordered: Vec<&Member> = s
        .xml_member_order
        .iter()
        .filter_map(|name| fields.iter().copied().find(|m| &m.name == name))
        .collect();
    for m in &fields {
        if !s.xml_member_order.contains(&m.name) {
            ordered.push(m);
        }
    }
    ordered
}

fn structure(ctx: &Ctx<'_>, s: &ShapeIr) -> TokenStream {
    let name = names::type_path(&s.id);
    let members = body_members(ctx, s);
    let attr_members: Vec<&Member> = members
        .iter()
        .copied()
        .filter(|m| m.xml_attribute)
        .collect();
    let element_members: Vec<&Member> = members
        .iter()
        .copied()
        .filter(|m| !m.xml_attribute)
        .collect();
    let attr_values = attr_members.iter().enumerate().map(|(i, m)| {
        let var = quote::format_ident!("attr{i}");
        let field = names::field_name(&m.name);
        let elem = m.xml_element_name();
        let get = match ctx.holder(m) {
            Holder::Option => quote!(self.#field.as_ref()),
            _ => quote!(Some(&self.#field)),
        };
        quote! {
            let #var = #get.map(crate::codec::scalar::TextValue::to_text);
            if let Some(v) = &#var { all.push((#elem, v.as_str())); }
        }
    });
    let start = if attr_members.is_empty() {
        quote!(w.start(name, attrs);)
    } else {
        quote! {
            let mut all: ::std::vec::Vec<(&str, &str)> = attrs.to_vec();
            #(#attr_values)*
            w.start(name, &all);
        }
    };
    let writes = element_members.iter().map(|m| member_write(ctx, s, m));
    let read = (!has_http_bindings(s)).then(|| {
        let fields = ctx.fields(s).into_iter().map(|m| {
            let field = names::field_name(&m.name);
            let expr = member_read(ctx, s, m, &quote!(el));
            quote!(#field: #expr,)
        });
        quote! {
            impl XmlRead for #name {
                fn read_xml(el: &Element) -> ::std::result::Result<Self, XmlError> {
                    Ok(Self { #(#fields)* })
                }
            }
        }
    });
    quote! {
        impl XmlWrite for #name {
            fn write_xml(&self, w: &mut XmlWriter, name: &str, attrs: &[(&str, &str)]) {
                #start
                #(#writes)*
                w.end(name);
            }
        }
        #read
    }
}

fn union(ctx: &Ctx<'_>, s: &ShapeIr, members: &[Member]) -> TokenStream {
    let name = names::type_path(&s.id);
    let variant = |m: &Member| quote::format_ident!("{}", names::variant_name(&m.name));
    let write_arms = members.iter().map(|m| {
        let v = variant(m);
        let elem = m.xml_element_name();
        let write = value_write(ctx, m, &m.target, &quote!(value), elem, false);
        quote!(Self::#v(value) => { #write })
    });
    let read_arms = members.iter().map(|m| {
        let v = variant(m);
        let elem = m.xml_element_name();
        let mut read = element_read(ctx, m, &m.target, &quote!(c));
        if s.boxed_members.contains(&m.name) {
            read = quote!(::std::boxed::Box::new(#read));
        }
        quote!(#elem => Ok(Self::#v(#read)),)
    });
    let local = s.local_name();
    quote! {
        impl XmlWrite for #name {
            fn write_xml(&self, w: &mut XmlWriter, name: &str, attrs: &[(&str, &str)]) {
                w.start(name, attrs);
                match self {
                    #(#write_arms)*
                    Self::Unknown(other) => w.empty(other, &[]),
                }
                w.end(name);
            }
        }
        impl XmlRead for #name {
            fn read_xml(el: &Element) -> ::std::result::Result<Self, XmlError> {
                let Some(c) = el.children.first() else {
                    return Err(XmlError::MissingElement(#local.to_owned()));
                };
                match c.name.as_str() {
                    #(#read_arms)*
                    other => Ok(Self::Unknown(other.to_owned())),
                }
            }
        }
    }
}

/// Statements writing member `m` of `self` (a value of `owner`) into `w`.
pub fn member_write(ctx: &Ctx<'_>, owner: &ShapeIr, m: &Member) -> TokenStream {
    let field = names::field_name(&m.name);
    let elem = m.xml_element_name();
    let _ = owner;
    let write = value_write(ctx, m, &m.target, &quote!(v), elem, true);
    match ctx.holder(m) {
        Holder::Option => quote!(if let Some(v) = &self.#field { #write }),
        Holder::Plain | Holder::Collection => quote!({ let v = &self.#field; #write }),
    }
}

fn ns_attrs(m: &Member) -> TokenStream {
    match &m.xml_namespace {
        Some(ns) => {
            let uri = &ns.uri;
            let attr = match &ns.prefix {
                Some(p) => format!("xmlns:{p}"),
                None => "xmlns".to_owned(),
            };
            quote!(&[(#attr, #uri)])
        }
        None => quote!(&[]),
    }
}

/// Statements writing value `v` (a reference) of shape `target` as element(s) named `elem`.
/// `top` is true for the member itself (flattening and namespaces apply), false for items.
fn value_write(
    ctx: &Ctx<'_>,
    m: &Member,
    target: &str,
    v: &TokenStream,
    elem: &str,
    top: bool,
) -> TokenStream {
    let shape = ctx.shape(target);
    let attrs = if top { ns_attrs(m) } else { quote!(&[]) };
    match &shape.kind {
        ShapeKind::Simple(Simple::Timestamp) => {
            let fmt = format_tokens(ctx.timestamp_format(m, Location::Body));
            quote!(w.text_element(#elem, &crate::codec::scalar::format_timestamp(#v, #fmt));)
        }
        ShapeKind::Simple(_) | ShapeKind::Enum { .. } | ShapeKind::IntEnum { .. } => {
            quote!(w.text_element(#elem, &crate::codec::scalar::TextValue::to_text(#v));)
        }
        ShapeKind::Structure { .. } | ShapeKind::Union { .. } => {
            quote!((#v).write_xml(w, #elem, #attrs);)
        }
        ShapeKind::List { member } => {
            let item_elem = member
                .xml_name
                .clone()
                .unwrap_or_else(|| "member".to_owned());
            if top && m.xml_flattened {
                let item = value_write(ctx, member, &member.target, &quote!(item), elem, false);
                quote!(for item in #v.iter() { #item })
            } else {
                let item = value_write(
                    ctx,
                    member,
                    &member.target,
                    &quote!(item),
                    &item_elem,
                    false,
                );
                quote! {
                    w.start(#elem, #attrs);
                    for item in #v.iter() { #item }
                    w.end(#elem);
                }
            }
        }
        ShapeKind::Map { key, value } => {
            let k = value_write(ctx, m, key, &quote!(k), "key", false);
            let val = value_write(ctx, m, value, &quote!(val), "value", false);
            if top && m.xml_flattened {
                quote!(for (k, val) in #v.iter() { w.start(#elem, &[]); #k #val w.end(#elem); })
            } else {
                quote! {
                    w.start(#elem, #attrs);
                    for (k, val) in #v.iter() { w.start("entry", &[]); #k #val w.end("entry"); }
                    w.end(#elem);
                }
            }
        }
    }
}

/// An expression reading member `m` of `owner` from element `el`, typed as the field.
pub fn member_read(ctx: &Ctx<'_>, owner: &ShapeIr, m: &Member, el: &TokenStream) -> TokenStream {
    let elem = m.xml_element_name();
    let boxed = owner.boxed_members.contains(&m.name);
    let wrap = |read: TokenStream| {
        if boxed {
            quote!(::std::boxed::Box::new(#read))
        } else {
            read
        }
    };
    let missing = quote!(XmlError::MissingElement(#elem.to_owned()));
    let shape = ctx.shape(&m.target);
    if m.xml_attribute {
        let local = elem.rsplit(':').next().unwrap_or(elem);
        let ty = ctx.rust_type(&m.target);
        let read = quote! {
            match #el.attribute(#local) {
                Some(s) => Some(crate::codec::xml_value::attribute::<#ty>(s, #local)?),
                None => None,
            }
        };
        return match ctx.holder(m) {
            Holder::Plain => quote!(#read.ok_or_else(|| #missing)?),
            _ => read,
        };
    }
    if let (ShapeKind::List { member }, true) = (&shape.kind, m.xml_flattened) {
        let item = element_read(ctx, member, &member.target, &quote!(c));
        return quote! {
            #el.children_named(#elem)
                .map(|c| -> ::std::result::Result<_, XmlError> { Ok(#item) })
                .collect::<::std::result::Result<::std::vec::Vec<_>, XmlError>>()?
        };
    }
    let read = wrap(element_read(ctx, m, &m.target, &quote!(c)));
    let optional = quote!(match #el.child(#elem) { Some(c) => Some(#read), None => None });
    match ctx.holder(m) {
        Holder::Option => optional,
        Holder::Plain => quote!(#optional.ok_or_else(|| #missing)?),
        Holder::Collection => quote!(#optional.unwrap_or_default()),
    }
}

/// An expression reading a value of shape `target` from element `c` itself.
fn element_read(ctx: &Ctx<'_>, m: &Member, target: &str, c: &TokenStream) -> TokenStream {
    let shape = ctx.shape(target);
    let ty = ctx.rust_type(target);
    match &shape.kind {
        ShapeKind::Simple(Simple::Timestamp) => {
            let fmt = format_tokens(ctx.timestamp_format(m, Location::Body));
            quote!(crate::codec::xml_value::timestamp(#c, #fmt)?)
        }
        ShapeKind::Simple(_) | ShapeKind::Enum { .. } | ShapeKind::IntEnum { .. } => {
            quote!(crate::codec::xml_value::scalar::<#ty>(#c)?)
        }
        ShapeKind::Structure { .. } | ShapeKind::Union { .. } => {
            quote!(<#ty as XmlRead>::read_xml(#c)?)
        }
        ShapeKind::List { member } => {
            let item_elem = member
                .xml_name
                .clone()
                .unwrap_or_else(|| "member".to_owned());
            let item = element_read(ctx, member, &member.target, &quote!(c));
            quote! {
                #c.children_named(#item_elem)
                    .map(|c| -> ::std::result::Result<_, XmlError> { Ok(#item) })
                    .collect::<::std::result::Result<::std::vec::Vec<_>, XmlError>>()?
            }
        }
        ShapeKind::Map { key, value } => {
            let k = element_read(ctx, m, key, &quote!(k));
            let v = element_read(ctx, m, value, &quote!(v));
            let entries = if m.xml_flattened {
                quote!(::std::iter::once(#c))
            } else {
                quote!(#c.children_named("entry"))
            };
            quote! {
                {
                    let mut map = ::std::collections::BTreeMap::new();
                    for e in #entries {
                        let (Some(k), Some(v)) = (e.child("key"), e.child("value")) else {
                            return Err(XmlError::MissingElement("key/value".to_owned()));
                        };
                        map.insert(#k, #v);
                    }
                    map
                }
            }
        }
    }
}
