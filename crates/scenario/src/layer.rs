//! Reading scenario files: TOML with spans, the `extends` chain, the deep merge, and locating keys.
//!
//! Every file of a chain is a [`Layer`]: its text, its table, and the span
//! of every key and value in it. Merging the layers (root first, children
//! over parents) gives one table plus, for every key path, the layer and
//! span it came from, so an error found in the merged scenario still points
//! at the line and column of the file that wrote the value.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::builtin;
use crate::error::{suggest, Diagnostic, ErrorKind, KeyPath, ScenarioError};

/// The longest `extends` chain accepted (a guard against runaway chains;
/// real ones are two or three files long).
pub(crate) const MAX_CHAIN: usize = 16;

/// Where the text of a layer came from.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    /// A built-in scenario.
    Builtin(&'static str),
    /// A file, by the path used to reach it.
    File(PathBuf),
    /// Text given to [`crate::parse_str`], with the caller's label.
    Text(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Builtin(name) => write!(f, "built-in {name}"),
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::Text(label) => f.write_str(label),
        }
    }
}

/// What makes two layers the same file, for cycle detection.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Identity {
    Builtin(&'static str),
    File(PathBuf),
    /// Text from [`crate::parse_str`]: nothing can extend it, so it never
    /// closes a cycle.
    Text,
}

/// Text to be parsed as the first layer of a chain.
pub(crate) struct Input {
    origin: Origin,
    text: Cow<'static, str>,
    identity: Identity,
}

impl Input {
    /// A built-in scenario.
    pub(crate) fn builtin(b: &'static builtin::Builtin) -> Self {
        Input { origin: Origin::Builtin(b.name), text: Cow::Borrowed(b.source), identity: Identity::Builtin(b.name) }
    }

    /// A file on disk.
    pub(crate) fn file(path: &Path) -> Result<Self, ScenarioError> {
        let text = read_text(path).map_err(|source| ScenarioError::Io { path: path.to_path_buf(), source })?;
        Ok(Input { origin: Origin::File(path.to_path_buf()), text: Cow::Owned(text), identity: file_identity(path) })
    }

    /// Text with a label for messages.
    pub(crate) fn text(text: &str, label: &str) -> Self {
        Input { origin: Origin::Text(label.to_string()), text: Cow::Owned(text.to_string()), identity: Identity::Text }
    }
}

/// Largest scenario file read: far beyond any real scenario, small enough
/// that a wrong path (a device such as `/dev/zero`, a data file) is refused
/// at once instead of filling memory.
pub(crate) const MAX_FILE_BYTES: u64 = 4 << 20;

/// Reads a scenario file as UTF-8 text of at most [`MAX_FILE_BYTES`].
fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let msg = format!("larger than {} MiB, so not a scenario file", MAX_FILE_BYTES >> 20);
        return Err(Error::new(ErrorKind::InvalidData, msg));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Error::new(
            ErrorKind::InvalidData,
            format!("not UTF-8 text (invalid byte at offset {at}); a scenario file is TOML in UTF-8"),
        )
    })
}

fn file_identity(path: &Path) -> Identity {
    Identity::File(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// Where a key or value sits in a layer's text (byte offsets).
#[derive(Debug, Clone)]
pub(crate) struct Span {
    /// The key, when the value has one (array elements do not).
    key: Option<Range<usize>>,
    /// The value; for a table written as a `[header]`, the header.
    value: Range<usize>,
    /// Whether the value is a table (its text is not shown as a value).
    is_table: bool,
}

/// One parsed file of an `extends` chain.
pub(crate) struct Layer {
    pub(crate) origin: Origin,
    text: Cow<'static, str>,
    /// The file's table, without `extends`.
    table: toml::Table,
    /// Every key path of the file (as [`KeyPath`] text) and its span.
    spans: BTreeMap<String, Span>,
    extends: Option<String>,
}

/// Whether a diagnostic points at the key or at its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum At {
    Key,
    Value,
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut off = offset.min(text.len());
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    let before = &text[..off];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// A value's text as written, when it is short enough to quote in a message.
fn value_text(text: &str, span: &Range<usize>) -> Option<String> {
    let s = text.get(span.clone())?.trim();
    (!s.is_empty() && !s.contains('\n') && s.chars().count() <= 60).then(|| s.to_string())
}

impl Layer {
    fn parse(input: Input, leaf: Option<&Origin>) -> Result<Self, ScenarioError> {
        let Input { origin, text, .. } = input;
        let syntax = |e: toml::de::Error| -> ScenarioError {
            let span = e.span();
            let mut message = format!("TOML syntax error: {}", e.message().trim());
            if e.message().trim() == "duplicate key" {
                if let Some(k) = span.as_ref().and_then(|s| text.get(s.clone())) {
                    message = format!("TOML syntax error: duplicate key `{k}` (each key may appear once per table)");
                }
            }
            let (line, column) = match &span {
                Some(s) => {
                    let (l, c) = line_col(&text, s.start);
                    (Some(l), Some(c))
                }
                None => (None, None),
            };
            Diagnostic {
                kind: ErrorKind::Syntax,
                origin: origin.to_string(),
                line,
                column,
                key: None,
                value: None,
                message,
                inherited_by: leaf.map(|o| o.to_string()),
            }
            .into()
        };
        let de = DeTable::parse(&text).map_err(syntax)?;
        let mut spans = BTreeMap::new();
        walk_table(de.get_ref(), &KeyPath::default(), &mut spans);
        let mut table = toml::Table::deserialize(toml::de::Deserializer::from(de)).map_err(syntax)?;
        let extends_value = table.remove("extends");
        let mut layer = Layer { origin, text, table: toml::Table::new(), spans, extends: None };
        let leaf_name = leaf.map(|o| o.to_string());
        match extends_value {
            None => {}
            Some(toml::Value::String(s)) if !s.trim().is_empty() => layer.extends = Some(s),
            Some(_) => {
                return Err(layer
                    .diag(
                        &KeyPath::of(&["extends"]),
                        ErrorKind::Extends,
                        "must be a non-empty string: a built-in scenario name or a path to a .toml file, relative to this file"
                            .into(),
                        At::Value,
                        leaf_name,
                    )
                    .into())
            }
        }
        // `name` and `description` are never inherited, so a variant never
        // passes for its parent in a run folder; a file that omits them is
        // named after itself.
        if !table.contains_key("name") {
            table.insert("name".into(), toml::Value::String(default_name(&layer.origin)));
        }
        if !table.contains_key("description") {
            let name = table.get("name").and_then(|v| v.as_str()).unwrap_or("custom").to_string();
            let text = match &layer.extends {
                Some(parent) => format!("{name}: a variant of {parent}"),
                None => format!("{name}: a custom scenario"),
            };
            table.insert("description".into(), toml::Value::String(text));
        }
        layer.table = table;
        Ok(layer)
    }

    /// A diagnostic located in this layer alone (before merging).
    fn diag(
        &self,
        path: &KeyPath,
        kind: ErrorKind,
        message: String,
        at: At,
        inherited_by: Option<String>,
    ) -> Diagnostic {
        let span = self.spans.get(&path.to_string());
        locate_in(self, path, span, true, kind, message, at, inherited_by)
    }
}

/// Builds a diagnostic from a layer and the span found for `path` (`exact`
/// when the span is that of `path` itself, not of an ancestor).
#[allow(clippy::too_many_arguments)]
fn locate_in(
    layer: &Layer,
    path: &KeyPath,
    span: Option<&Span>,
    exact: bool,
    kind: ErrorKind,
    message: String,
    at: At,
    inherited_by: Option<String>,
) -> Diagnostic {
    let (mut line, mut column, mut value) = (None, None, None);
    if let Some(span) = span {
        let offset = match (at, &span.key) {
            (At::Key, Some(k)) if exact => k.start,
            _ => span.value.start,
        };
        let (l, c) = line_col(&layer.text, offset);
        line = Some(l);
        column = Some(c);
        if exact && !span.is_table {
            value = value_text(&layer.text, &span.value);
        }
    }
    Diagnostic {
        kind,
        origin: layer.origin.to_string(),
        line,
        column,
        key: (!path.is_empty()).then(|| path.to_string()),
        value,
        message,
        inherited_by,
    }
}

fn walk_table(t: &DeTable<'_>, path: &KeyPath, out: &mut BTreeMap<String, Span>) {
    for (k, v) in t.iter() {
        record(&path.key(k.get_ref()), Some(k.span()), v, out);
    }
}

fn record(path: &KeyPath, key: Option<Range<usize>>, v: &Spanned<DeValue<'_>>, out: &mut BTreeMap<String, Span>) {
    out.insert(path.to_string(), Span { key, value: v.span(), is_table: matches!(v.get_ref(), DeValue::Table(_)) });
    match v.get_ref() {
        DeValue::Table(t) => walk_table(t, path, out),
        DeValue::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                record(&path.index(i), None, e, out);
            }
        }
        _ => {}
    }
}

/// Reads the whole `extends` chain starting at `first`. The result starts
/// with the file that was asked for and ends with the root (the file
/// without `extends`).
pub(crate) fn load_chain(first: Input) -> Result<Vec<Layer>, ScenarioError> {
    let mut layers: Vec<Layer> = Vec::new();
    let mut identities = vec![first.identity.clone()];
    let mut next = Some(first);
    while let Some(input) = next.take() {
        let leaf = layers.first().map(|l| l.origin.clone());
        let layer = Layer::parse(input, leaf.as_ref())?;
        let leaf_name = leaf.as_ref().map(|o| o.to_string());
        if let Some(target) = &layer.extends {
            let here = KeyPath::of(&["extends"]);
            let err = |message: String| -> ScenarioError {
                layer.diag(&here, ErrorKind::Extends, message, At::Value, leaf_name.clone()).into()
            };
            if layers.len() + 1 >= MAX_CHAIN {
                return Err(err(format!("`extends` chain longer than {MAX_CHAIN} files")));
            }
            let input = resolve_target(&layer.origin, target).map_err(err)?;
            if identities.contains(&input.identity) {
                let mut chain: Vec<String> = layers.iter().map(|l| l.origin.to_string()).collect();
                chain.push(layer.origin.to_string());
                chain.push(input.origin.to_string());
                return Err(err(format!("`extends` cycle: {}", chain.join(" -> "))));
            }
            identities.push(input.identity.clone());
            next = Some(input);
        }
        layers.push(layer);
    }
    // The loop ran at least once, so `layers` is not empty.
    if let Some(root) = layers.last() {
        let inherited = (layers.len() > 1).then(|| layers[0].origin.to_string());
        for section in ["sources", "behaviours", "activities"] {
            if !root.table.contains_key(section) {
                return Err(root
                    .diag(
                        &KeyPath::of(&[section]),
                        ErrorKind::MissingKey,
                        format!(
                            "missing: a scenario without `extends` must define [{section}] \
                             (sources, behaviours and activities have no defaults; activities may be an empty table)"
                        ),
                        At::Key,
                        inherited,
                    )
                    .into());
            }
        }
    }
    Ok(layers)
}

/// Finds the file or built-in an `extends` names.
fn resolve_target(from: &Origin, target: &str) -> Result<Input, String> {
    if let Some(b) = builtin::find(target) {
        return Ok(Input::builtin(b));
    }
    let names = builtin::BUILTIN_NAMES;
    let hint = suggest(target, names.iter().copied()).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
    let base = match from {
        Origin::Builtin(_) => {
            return Err(format!("a built-in scenario can only extend another built-in ({}){hint}", names.join(", ")))
        }
        Origin::File(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
        Origin::Text(_) => PathBuf::new(),
    };
    let path = base.join(target);
    match read_text(&path) {
        Ok(text) => {
            Ok(Input { origin: Origin::File(path.clone()), text: Cow::Owned(text), identity: file_identity(&path) })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(format!("not a built-in scenario ({}) and no file at {}{hint}", names.join(", "), path.display()))
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Where a merged key came from: its layer (index into [`Merged::layers`]) and span.
#[derive(Debug, Clone)]
struct Loc {
    layer: usize,
    span: Span,
}

/// The chain merged into one table, with the origin of every key.
pub(crate) struct Merged {
    /// The chain, from the file asked for (index 0) to the root.
    pub(crate) layers: Vec<Layer>,
    /// The merged table, without `extends`.
    pub(crate) table: toml::Table,
    locs: BTreeMap<String, Loc>,
}

/// Deep merge: tables merge key by key (recursively), anything else in
/// `over` replaces what `base` had. New keys go after the existing ones.
fn merge_tables(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge_tables(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Merges a chain (as returned by [`load_chain`]).
pub(crate) fn merge(layers: Vec<Layer>) -> Merged {
    let mut table = toml::Table::new();
    let mut locs: BTreeMap<String, Loc> = BTreeMap::new();
    for (i, layer) in layers.iter().enumerate().rev() {
        merge_tables(&mut table, &layer.table);
        // Spans are visited in sorted order, so a path comes before the
        // paths inside it: a replaced value first drops what the parent
        // had inside it, then the child's inner paths are added.
        for (path, span) in &layer.spans {
            if path == "extends" {
                continue;
            }
            if !span.is_table {
                let dot = format!("{path}.");
                let bracket = format!("{path}[");
                locs.retain(|p, _| !p.starts_with(&dot) && !p.starts_with(&bracket));
            }
            locs.insert(path.clone(), Loc { layer: i, span: span.clone() });
        }
    }
    Merged { layers, table, locs }
}

impl Merged {
    /// A diagnostic for `path`, located in the layer that wrote it (or, when
    /// the key itself was not written, e.g. a missing key or a default, at
    /// the nearest enclosing key that was).
    pub(crate) fn diag(&self, path: &KeyPath, kind: ErrorKind, message: impl Into<String>, at: At) -> ScenarioError {
        let message = message.into();
        let mut probe = Some(path.clone());
        let mut exact = true;
        while let Some(p) = probe {
            if p.is_empty() {
                break;
            }
            if let Some(loc) = self.locs.get(&p.to_string()) {
                if let Some(layer) = self.layers.get(loc.layer) {
                    let inherited =
                        (loc.layer > 0).then(|| self.layers.first().map(|l| l.origin.to_string())).flatten();
                    return locate_in(layer, path, Some(&loc.span), exact, kind, message, at, inherited).into();
                }
            }
            exact = false;
            probe = p.parent();
        }
        // Nothing written on the way: name the file that was asked for.
        match self.layers.first() {
            Some(layer) => locate_in(layer, path, None, false, kind, message, at, None).into(),
            None => Diagnostic {
                kind,
                origin: String::new(),
                line: None,
                column: None,
                key: Some(path.to_string()),
                value: None,
                message,
                inherited_by: None,
            }
            .into(),
        }
    }

    /// The chain as text, e.g. `my.toml -> built-in seed-article`.
    pub(crate) fn chain_text(&self) -> String {
        self.layers.iter().map(|l| l.origin.to_string()).collect::<Vec<_>>().join(" -> ")
    }
}

/// The name of a scenario that does not give one: its file's stem with
/// characters outside `[A-Za-z0-9_-]` replaced, or `custom`.
fn default_name(origin: &Origin) -> String {
    let stem = match origin {
        Origin::Builtin(name) => (*name).to_string(),
        Origin::File(path) => path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        Origin::Text(label) => {
            std::path::Path::new(label).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
        }
    };
    let clean: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '-' })
        .take(64)
        .collect();
    if clean.is_empty() || clean.chars().all(|c| c == '-') {
        "custom".to_string()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_one_based_in_characters() {
        let t = "a = 1\nb = \"é\" x\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        // Byte 15 is the `x` after "é" (2 bytes): columns count characters.
        assert_eq!(line_col(t, 15), (2, 9));
        assert_eq!(line_col(t, 10_000), (3, 1));
    }

    #[test]
    fn merge_is_deep_for_tables_and_replaces_arrays() {
        let mut base: toml::Table =
            toml::from_str("a = 1\nlist = [1, 2, 3]\n[t]\nx = 1\ny = 2\n[t.inner]\nz = 3\n").unwrap();
        let over: toml::Table = toml::from_str("list = [9]\nnew = true\n[t]\ny = 20\n[t.inner]\nw = 4\n").unwrap();
        merge_tables(&mut base, &over);
        let expected: toml::Table =
            toml::from_str("a = 1\nlist = [9]\nnew = true\n[t]\nx = 1\ny = 20\n[t.inner]\nz = 3\nw = 4\n").unwrap();
        assert_eq!(base, expected);
        let keys: Vec<&String> = base.keys().collect();
        assert_eq!(keys, ["a", "list", "t", "new"], "parent order, then new keys");
    }
}
