//! The formats, read back by their own parsers, as a calendar app or a spreadsheet would.

mod chart;
mod export;
mod remind;
