//! A whole organisation as plain records, loaded in one transaction.

use crate::records::*;
use serde::Serialize;

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub units: Vec<Unit>,
    pub people: Vec<Person>,
    pub cycles: Vec<Cycle>,
    pub objectives: Vec<Objective>,
    pub alignments: Vec<Alignment>,
    pub key_results: Vec<KeyResult>,
    pub check_ins: Vec<CheckIn>,
    pub initiatives: Vec<Initiative>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub units: usize,
    pub people: usize,
    pub cycles: usize,
    pub objectives: usize,
    pub alignments: usize,
    pub key_results: usize,
    pub check_ins: usize,
    pub initiatives: usize,
}
