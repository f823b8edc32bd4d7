//! The text formats of OpenML 42468 (`hls4ml_lhc_jets_hlf`): CSV with a header row and ARFF, each
//! with the 16 features (found by name, in any column order) and a nominal `class` column
//! (`g`, `q`, `t`, `w`, `z`). Files may be gzip-compressed (`.gz`). Errors name the file and line.
//!
//! [`read_csv`] and [`read_arff`] open a file; [`parse_csv`] and [`parse_arff`] read the same
//! formats from any reader (already decompressed), naming a given `source` in their errors. The
//! path-based readers are these two behind the file opening, so both parse the same way.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use ndarray::Array2;

use crate::table::{JetTable, check_row};
use crate::{CLASSES, Error, FEATURES, Result};

/// The column of the class label.
pub const CLASS_COLUMN: &str = "class";

fn invalid(path: &Path, message: String) -> Error {
    Error::Invalid { path: path.to_path_buf(), message }
}

/// A text file opened for reading, looking through gzip when the name ends in `.gz`.
fn open(path: &Path) -> Result<BufReader<Box<dyn Read>>> {
    let f = File::open(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
        Box::new(flate2::read::GzDecoder::new(f))
    } else {
        Box::new(f)
    };
    Ok(BufReader::new(reader))
}

/// The lines of `reader`; a read error (or text that is not UTF-8) is an I/O error on `source`.
fn lines(reader: impl BufRead, source: &Path) -> Result<Vec<String>> {
    reader
        .lines()
        .collect::<std::io::Result<Vec<String>>>()
        .map_err(|e| Error::Io { path: source.to_path_buf(), source: e })
}

/// A field without surrounding blanks and quotes (`"x"` or `'x'`).
fn unquote(field: &str) -> &str {
    let f = field.trim();
    for q in ['"', '\''] {
        if let Some(inner) = f.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner;
        }
    }
    f
}

/// Where the wanted columns sit among the file's `names`.
struct Columns {
    /// Column of each of [`FEATURES`].
    features: Vec<usize>,
    /// Column of the class.
    class: usize,
    /// Columns in a row.
    width: usize,
}

impl Columns {
    fn find(path: &Path, names: &[String]) -> Result<Columns> {
        let position = |wanted: &str| names.iter().position(|n| n == wanted);
        let mut features = Vec::with_capacity(FEATURES.len());
        for f in FEATURES {
            features.push(position(f).ok_or_else(|| invalid(path, format!("no column named {f}")))?);
        }
        let class = position(CLASS_COLUMN).ok_or_else(|| invalid(path, format!("no column named {CLASS_COLUMN}")))?;
        Ok(Columns { features, class, width: names.len() })
    }
}

/// Collects the data rows (`(line number, text)`) into a table.
fn read_rows<'a>(path: &Path, cols: &Columns, rows: impl Iterator<Item = (usize, &'a str)>) -> Result<JetTable> {
    let (mut values, mut labels) = (Vec::new(), Vec::new());
    let mut row = vec![0f32; FEATURES.len()];
    for (line, text) in rows {
        let fields: Vec<&str> = text.split(',').map(unquote).collect();
        if fields.len() != cols.width {
            return Err(invalid(path, format!("line {line}: {} columns, expected {}", fields.len(), cols.width)));
        }
        for (k, &c) in cols.features.iter().enumerate() {
            row[k] = fields[c].parse::<f32>().map_err(|_| {
                invalid(path, format!("line {line}: feature {} is {:?}, not a number", FEATURES[k], fields[c]))
            })?;
        }
        check_row(path, line, &row)?;
        let label = fields[cols.class];
        let class = CLASSES.iter().position(|c| c.eq_ignore_ascii_case(label)).ok_or_else(|| {
            invalid(path, format!("line {line}: unknown class {label:?} (expected one of {})", CLASSES.join(", ")))
        })?;
        values.extend_from_slice(&row);
        labels.push(class);
    }
    if labels.is_empty() {
        return Err(invalid(path, "no jets".into()));
    }
    let features =
        Array2::from_shape_vec((labels.len(), FEATURES.len()), values).map_err(|e| invalid(path, e.to_string()))?;
    Ok(JetTable { features, labels, source: path.to_path_buf() })
}

/// Reads a CSV file: a header row of column names, then one jet per line (blank lines skipped);
/// gzip-compressed when the name ends in `.gz`. See [`parse_csv`].
pub fn read_csv(path: &Path) -> Result<JetTable> {
    parse_csv(open(path)?, path)
}

/// Reads CSV text from `reader`: a header row of column names (the 16 [`FEATURES`] and
/// [`CLASS_COLUMN`], in any order, optionally quoted), then one jet per line (blank lines
/// skipped). `source` names the input in errors (with the line) and becomes the table's
/// [`JetTable::source`].
pub fn parse_csv(reader: impl BufRead, source: &Path) -> Result<JetTable> {
    let path = source;
    let lines = lines(reader, path)?;
    let mut numbered = lines.iter().enumerate().map(|(i, l)| (i + 1, l.as_str())).filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = numbered.next() else { return Err(invalid(path, "empty file".into())) };
    let names: Vec<String> = header.split(',').map(|n| unquote(n).to_string()).collect();
    let cols = Columns::find(path, &names)?;
    read_rows(path, &cols, numbered)
}

/// Reads an ARFF file: `@relation`, `@attribute NAME TYPE` lines (the class nominal), `@data`,
/// then one jet per line; `%` comments and blank lines skipped. Sparse rows are not supported.
/// Gzip-compressed when the name ends in `.gz`. See [`parse_arff`].
pub fn read_arff(path: &Path) -> Result<JetTable> {
    parse_arff(open(path)?, path)
}

/// Reads ARFF text from `reader`, as [`read_arff`] reads a file. `source` names the input in
/// errors (with the line) and becomes the table's [`JetTable::source`].
pub fn parse_arff(reader: impl BufRead, source: &Path) -> Result<JetTable> {
    let path = source;
    let lines = lines(reader, path)?;
    let mut names = Vec::new();
    let mut data_at = None;
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if t.is_empty() || t.starts_with('%') {
            continue;
        }
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("@attribute") {
            let rest = t["@attribute".len()..].trim_start();
            let name = if let Some(q) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') {
                rest[1..].split(q).next().unwrap_or("").to_string()
            } else {
                rest.split_whitespace().next().unwrap_or("").to_string()
            };
            names.push(name);
        } else if lower.starts_with("@data") {
            data_at = Some(i + 1);
            break;
        } else if !lower.starts_with("@relation") {
            return Err(invalid(path, format!("line {}: expected @relation, @attribute or @data", i + 1)));
        }
    }
    let Some(start) = data_at else {
        return Err(invalid(path, if lines.is_empty() { "empty file".into() } else { "no @data section".into() }));
    };
    let cols = Columns::find(path, &names)?;
    let rows = lines[start..]
        .iter()
        .enumerate()
        .map(|(i, l)| (start + i + 1, l.as_str()))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('%'));
    if let Some((line, _)) = rows.clone().find(|(_, l)| l.trim_start().starts_with('{')) {
        return Err(invalid(path, format!("line {line}: sparse ARFF rows are not supported")));
    }
    read_rows(path, &cols, rows)
}
