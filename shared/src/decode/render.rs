//! Showing a decoded row: each cell as text for a table, or the whole row as JSON for an
//! inspector. Strings appear as they are, bytes and fixed as numbers in JSON (as `apache-avro`
//! converts them) and as hex in text, enums by symbol. In text, floats read in the shortest form
//! that reads back to the same value (`0.72`), and the date and time logical types as people
//! read them (`2024-01-01T00:00:00.040Z`); JSON keeps their stored numbers.

use super::plan::{IntKind, LongKind, Prim, Step};
use super::{Cell, Decoder, Row};
use apache_avro::schema::{DecimalSchema, Schema};
use apache_avro::types::Value;
use serde_json::{Map, Number, Value as Json};
use std::fmt::{self, Write as _};

impl Decoder {
    /// Column `column` of `row` as text; `body` is the body the row was decoded from. Empty
    /// when the column does not exist.
    pub fn text(&self, row: &Row, body: &[u8], column: usize) -> String {
        let mut out = String::new();
        self.write_text(&row.cells, &row.values, body, column, &mut out);
        out
    }

    /// Appends column `column` of a row to `out` as [`Decoder::text`] reads it, for callers
    /// that keep rows in their own storage (`cells` and `values` as a [`Row`] holds them) and
    /// reuse one buffer for many cells: only the `apache-avro` values allocate.
    pub fn write_text(
        &self,
        cells: &[Cell],
        values: &[Value],
        body: &[u8],
        column: usize,
        out: &mut String,
    ) {
        let Some(cell) = cells.get(column) else {
            return;
        };
        // Writing into a String cannot fail.
        let _ = match *cell {
            Cell::Null => out.write_str("null"),
            Cell::Bool(b) => write!(out, "{b}"),
            Cell::Int(n) => match self.int_kind(column) {
                Some(IntKind::Date) => write_date(out, i64::from(n)),
                Some(IntKind::TimeMillis) => write_time_of_day(out, i64::from(n), 1_000),
                Some(IntKind::Int) | None => write!(out, "{n}"),
            },
            Cell::Long(n) => match self.long_kind(column) {
                Some(LongKind::TimestampMillis) => write_instant(out, n, 1_000, "Z"),
                Some(LongKind::TimestampMicros) => write_instant(out, n, 1_000_000, "Z"),
                Some(LongKind::TimestampNanos) => write_instant(out, n, 1_000_000_000, "Z"),
                Some(LongKind::LocalTimestampMillis) => write_instant(out, n, 1_000, ""),
                Some(LongKind::LocalTimestampMicros) => write_instant(out, n, 1_000_000, ""),
                Some(LongKind::LocalTimestampNanos) => write_instant(out, n, 1_000_000_000, ""),
                Some(LongKind::TimeMicros) => write_time_of_day(out, n, 1_000_000),
                Some(LongKind::Long) | None => write!(out, "{n}"),
            },
            Cell::Float(x) => write!(out, "{x}"),
            Cell::Double(x) => write!(out, "{x}"),
            Cell::Str(span) => out.write_str(span.str(body).unwrap_or_default()),
            Cell::Bytes(span) | Cell::Fixed(span) => {
                out.write_str(&crate::wire::hex(span.of(body)))
            }
            Cell::Enum(i) => out.write_str(self.symbol(column, i).unwrap_or_default()),
            Cell::Value(i) => match values.get(i as usize) {
                Some(value) => out.write_str(&self.value_text(column, value)),
                None => Ok(()),
            },
        };
    }

    /// A value `apache-avro` decoded, as text: a logical type as people read it, otherwise its
    /// JSON.
    fn value_text(&self, column: usize, value: &Value) -> String {
        if let Some(text) = self.schema_of(column).and_then(|s| readable(value, s)) {
            return text;
        }
        Json::try_from(value.clone()).map_or_else(|_| String::new(), |j| j.to_string())
    }

    /// The schema of a column `apache-avro` decodes.
    fn schema_of(&self, column: usize) -> Option<&Schema> {
        match &self.columns.get(column)?.step {
            Step::Avro(guarded) => Some(&guarded.schema),
            _ => None,
        }
    }

    /// `row` as a JSON object of column name to value; `body` is the body it was decoded from.
    pub fn to_json(&self, row: &Row, body: &[u8]) -> Json {
        let mut object = Map::new();
        for (column, (name, cell)) in self.columns().zip(&row.cells).enumerate() {
            object.insert(name.to_owned(), self.cell_json(row, body, column, *cell));
        }
        Json::Object(object)
    }

    fn cell_json(&self, row: &Row, body: &[u8], column: usize, cell: Cell) -> Json {
        let number = |x: f64| Number::from_f64(x).map_or(Json::Null, Json::Number);
        match cell {
            Cell::Null => Json::Null,
            Cell::Bool(b) => Json::Bool(b),
            Cell::Int(n) => n.into(),
            Cell::Long(n) => n.into(),
            // The shortest decimal that reads back as this float, so 0.72 stays 0.72 instead of
            // the double nearest the float (0.7200000286102295).
            Cell::Float(x) => number(x.to_string().parse().unwrap_or(f64::from(x))),
            Cell::Double(x) => number(x),
            Cell::Str(span) => span.str(body).unwrap_or_default().into(),
            Cell::Bytes(span) | Cell::Fixed(span) => span.of(body).to_vec().into(),
            Cell::Enum(i) => self.symbol(column, i).unwrap_or_default().into(),
            Cell::Value(i) => row
                .value(i)
                .cloned()
                .and_then(|v| Json::try_from(v).ok())
                .unwrap_or(Json::Null),
        }
    }

    /// The `int` logical type of column `column`, when its cells are ints.
    fn int_kind(&self, column: usize) -> Option<IntKind> {
        self.prims(column).find_map(|p| match p {
            Prim::Int(kind) => Some(*kind),
            _ => None,
        })
    }

    /// The `long` logical type of column `column`, when its cells are longs.
    fn long_kind(&self, column: usize) -> Option<LongKind> {
        self.prims(column).find_map(|p| match p {
            Prim::Long(kind) => Some(*kind),
            _ => None,
        })
    }

    /// The planned types column `column` may hold.
    fn prims(&self, column: usize) -> impl Iterator<Item = &Prim> {
        let prims: &[Prim] = match self.columns.get(column).map(|c| &c.step) {
            Some(Step::Prim(prim) | Step::Nullable { prim, .. }) => std::slice::from_ref(prim),
            Some(Step::Union(prims)) => prims,
            Some(Step::Avro(_)) | None => &[],
        };
        prims.iter()
    }

    /// The symbol of enum index `index` in column `column`.
    fn symbol(&self, column: usize, index: u32) -> Option<&str> {
        let symbols = match &self.columns.get(column)?.step {
            Step::Prim(prim) | Step::Nullable { prim, .. } => symbols(prim)?,
            Step::Union(prims) => prims.iter().find_map(symbols)?,
            Step::Avro(_) => return None,
        };
        symbols.get(index as usize).map(String::as_str)
    }
}

/// A value of a logical type as people read it, when `value` is one: a decimal as an exact
/// decimal string with its scale (`12.50`), a uuid as its text; through unions.
fn readable(value: &Value, schema: &Schema) -> Option<String> {
    match (value, schema) {
        (Value::Union(branch, inner), Schema::Union(union)) => {
            readable(inner, union.variants().get(*branch as usize)?)
        }
        (Value::Decimal(d), Schema::Decimal(DecimalSchema { scale, .. })) => {
            Some(decimal(&<Vec<u8>>::try_from(d).ok()?, *scale))
        }
        (Value::BigDecimal(d), _) => Some(d.to_string()),
        (Value::Uuid(u), _) => Some(u.to_string()),
        _ => None,
    }
}

/// A big-endian two's-complement unscaled number with `scale` digits after the point, exactly.
pub fn decimal(unscaled: &[u8], scale: usize) -> String {
    let negative = unscaled.first().is_some_and(|b| b & 0x80 != 0);
    // The magnitude, big-endian: the two's complement negated when negative.
    let mut magnitude: Vec<u8> = unscaled.to_vec();
    if negative {
        for b in &mut magnitude {
            *b = !*b;
        }
        for b in magnitude.iter_mut().rev() {
            let (sum, carry) = b.overflowing_add(1);
            *b = sum;
            if !carry {
                break;
            }
        }
    }
    // Decimal digits by repeated division by 10, least significant first.
    let mut digits = Vec::new();
    while magnitude.iter().any(|b| *b != 0) {
        let mut rest = 0u16;
        for b in &mut magnitude {
            let current = (rest << 8) | u16::from(*b);
            *b = (current / 10) as u8;
            rest = current % 10;
        }
        digits.push(b'0' + rest as u8);
    }
    while digits.len() <= scale {
        digits.push(b'0');
    }
    digits.reverse();
    let (whole, fraction) = digits.split_at(digits.len() - scale);
    let mut out = String::with_capacity(digits.len() + 2);
    if negative {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(whole).unwrap_or("0"));
    if scale > 0 {
        out.push('.');
        out.push_str(std::str::from_utf8(fraction).unwrap_or(""));
    }
    out
}

fn symbols(prim: &Prim) -> Option<&[String]> {
    match prim {
        Prim::Enum(symbols) => Some(symbols),
        _ => None,
    }
}

/// `count` units of `1 / per_second` s since the Unix epoch as ISO-8601 with as many fraction
/// digits as the unit has (`2024-01-01T00:00:00.040Z`), `zone` after it.
pub fn instant(count: i64, per_second: i64, zone: &str) -> String {
    let mut out = String::new();
    let _ = write_instant(&mut out, count, per_second, zone);
    out
}

/// [`instant`], written to `out`.
fn write_instant(
    out: &mut impl fmt::Write,
    count: i64,
    per_second: i64,
    zone: &str,
) -> fmt::Result {
    let seconds = count.div_euclid(per_second);
    let fraction = count.rem_euclid(per_second);
    let days = seconds.div_euclid(86_400);
    let (year, month, day) = civil(days);
    let of_day = seconds.rem_euclid(86_400);
    let digits = fraction_digits(per_second);
    write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{fraction:0digits$}{zone}",
        of_day / 3_600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// Days since the Unix epoch as an ISO-8601 date.
pub fn date(days: i64) -> String {
    let mut out = String::new();
    let _ = write_date(&mut out, days);
    out
}

fn write_date(out: &mut impl fmt::Write, days: i64) -> fmt::Result {
    let (year, month, day) = civil(days);
    write!(out, "{year:04}-{month:02}-{day:02}")
}

/// `count` units of `1 / per_second` s since midnight as `HH:MM:SS.fff`.
pub fn time_of_day(count: i64, per_second: i64) -> String {
    let mut out = String::new();
    let _ = write_time_of_day(&mut out, count, per_second);
    out
}

fn write_time_of_day(out: &mut impl fmt::Write, count: i64, per_second: i64) -> fmt::Result {
    let seconds = count.div_euclid(per_second);
    let fraction = count.rem_euclid(per_second);
    let digits = fraction_digits(per_second);
    write!(
        out,
        "{:02}:{:02}:{:02}.{fraction:0digits$}",
        seconds / 3_600,
        seconds / 60 % 60,
        seconds % 60
    )
}

fn fraction_digits(per_second: i64) -> usize {
    per_second.max(1).ilog10() as usize
}

/// The proleptic Gregorian year, month and day of `days` since 1970-01-01 (counting in
/// 400-year eras of 146,097 days from 0000-03-01, so leap days fall at the end of a year).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod readable {
    use super::*;

    #[test]
    fn decimals_read_exactly_with_their_scale() {
        assert_eq!(decimal(&[0x04, 0xe2], 2), "12.50");
        assert_eq!(decimal(&[0x00], 2), "0.00");
        assert_eq!(decimal(&[0x07], 0), "7");
        assert_eq!(decimal(&[0xff], 1), "-0.1");
        assert_eq!(decimal(&[0xfb, 0x1e], 2), "-12.50");
        assert_eq!(decimal(&[0x80, 0x00], 0), "-32768");
        // 2^64 + 1 needs more than a u64.
        assert_eq!(
            decimal(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0x01], 3),
            "18446744073709551.617"
        );
    }

    #[test]
    fn instants_read_as_iso_8601() {
        assert_eq!(
            instant(1_704_067_200_040, 1_000, "Z"),
            "2024-01-01T00:00:00.040Z"
        );
        assert_eq!(instant(0, 1_000, "Z"), "1970-01-01T00:00:00.000Z");
        assert_eq!(instant(-1, 1_000, "Z"), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            instant(951_782_400_000_001, 1_000_000, ""),
            "2000-02-29T00:00:00.000001"
        );
        assert_eq!(
            instant(1_709_164_800_123_456_789, 1_000_000_000, "Z"),
            "2024-02-29T00:00:00.123456789Z"
        );
        assert_eq!(date(19_723), "2024-01-01");
        assert_eq!(date(-719_468), "0000-03-01");
        assert_eq!(time_of_day(45_296_789, 1_000), "12:34:56.789");
        assert_eq!(time_of_day(1_000_001, 1_000_000), "00:00:01.000001");
    }

    #[test]
    fn every_day_of_four_centuries_follows_the_one_before() {
        // Walks 1900-01-01 .. 2300-01-01 day by day: the date string must always step by one
        // day of the calendar (month lengths, leap years including 2000 and not 1900 or 2100).
        let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let month_days = |y: i64, m: u32| match m {
            2 if leap(y) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let (mut y, mut m, mut d) = (1900_i64, 1_u32, 1_u32);
        for days in -25_567..120_000 {
            assert_eq!(civil(days), (y, m, d), "day {days}");
            d += 1;
            if d > month_days(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }
}
