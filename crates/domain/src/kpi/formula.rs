//! Derived KPIs: a small, safe formula language over other KPIs' keys
//! (`won / qualified * 100`). Numbers, keys, + − × ÷, parentheses, and min / max / abs.
//! No loops, no side effects; parsing is bounded in length and depth.

use std::collections::{BTreeSet, HashMap, HashSet};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum FormulaError {
    #[error("at character {position}: {message}")]
    Syntax { position: usize, message: String },
    #[error("'{0}' is not the key of any KPI")]
    UnknownName(String),
    #[error("division by zero")]
    DivisionByZero,
    #[error("a formula cannot use its own KPI ('{0}')")]
    SelfReference(String),
    #[error("formulas would depend on each other in a loop: {}", .0.join(" → "))]
    Cycle(Vec<String>),
    #[error("'{0}' has no value for this period")]
    MissingValue(String),
    #[error("the formula is longer than {0} characters")]
    TooLong(usize),
}

impl FormulaError {
    pub fn code(&self) -> crate::error::Code {
        use crate::error::Code;
        match self {
            FormulaError::Syntax { .. } => Code::FormulaSyntax,
            FormulaError::UnknownName(_) => Code::FormulaUnknownName,
            FormulaError::DivisionByZero => Code::FormulaDivisionByZero,
            FormulaError::SelfReference(_) => Code::FormulaSelfReference,
            FormulaError::Cycle(_) => Code::FormulaCycle,
            FormulaError::MissingValue(_) => Code::FormulaMissingValue,
            FormulaError::TooLong(_) => Code::FormulaTooLong,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Number(f64),
    Name(String),
    Neg(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Func {
    Min,
    Max,
    Abs,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    source: String,
    expr: Expr,
}

pub const MAX_LEN: usize = 1000;
const MAX_DEPTH: usize = 64;

impl Formula {
    pub fn parse(source: &str) -> Result<Formula, FormulaError> {
        if source.len() > MAX_LEN {
            return Err(FormulaError::TooLong(MAX_LEN));
        }
        let mut p = Parser { src: source.as_bytes(), pos: 0, depth: 0 };
        p.skip_ws();
        if p.pos == p.src.len() {
            return Err(p.error("the formula is empty"));
        }
        let expr = p.expr()?;
        p.skip_ws();
        if p.pos < p.src.len() {
            return Err(p.error(&format!("unexpected '{}'", p.src[p.pos] as char)));
        }
        Ok(Formula { source: source.trim().to_owned(), expr })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The KPI keys the formula reads.
    pub fn names(&self) -> BTreeSet<String> {
        fn walk(e: &Expr, out: &mut BTreeSet<String>) {
            match e {
                Expr::Number(_) => {}
                Expr::Name(n) => {
                    out.insert(n.clone());
                }
                Expr::Neg(x) => walk(x, out),
                Expr::Binary(_, a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Expr::Call(_, args) => args.iter().for_each(|a| walk(a, out)),
            }
        }
        let mut out = BTreeSet::new();
        walk(&self.expr, &mut out);
        out
    }

    /// Refuses names that are not known KPI keys, and the formula's own key.
    pub fn check_names(&self, own_key: &str, known: impl Fn(&str) -> bool) -> Result<(), FormulaError> {
        for n in self.names() {
            if n == own_key {
                return Err(FormulaError::SelfReference(n));
            }
            if !known(&n) {
                return Err(FormulaError::UnknownName(n));
            }
        }
        Ok(())
    }

    pub fn eval(&self, value_of: &impl Fn(&str) -> Option<f64>) -> Result<f64, FormulaError> {
        eval(&self.expr, value_of)
    }
}

fn eval(e: &Expr, value_of: &impl Fn(&str) -> Option<f64>) -> Result<f64, FormulaError> {
    Ok(match e {
        Expr::Number(n) => *n,
        Expr::Name(n) => value_of(n).ok_or_else(|| FormulaError::MissingValue(n.clone()))?,
        Expr::Neg(x) => -eval(x, value_of)?,
        Expr::Binary(op, a, b) => {
            let (a, b) = (eval(a, value_of)?, eval(b, value_of)?);
            match op {
                Op::Add => a + b,
                Op::Sub => a - b,
                Op::Mul => a * b,
                Op::Div if b == 0.0 => return Err(FormulaError::DivisionByZero),
                Op::Div => a / b,
            }
        }
        Expr::Call(f, args) => {
            let vals = args.iter().map(|a| eval(a, value_of)).collect::<Result<Vec<_>, _>>()?;
            match f {
                Func::Min => vals.into_iter().fold(f64::INFINITY, f64::min),
                Func::Max => vals.into_iter().fold(f64::NEG_INFINITY, f64::max),
                Func::Abs => vals[0].abs(),
            }
        }
    })
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> FormulaError {
        FormulaError::Syntax { position: self.pos + 1, message: message.into() }
    }

    fn skip_ws(&mut self) {
        while self.pos < self.src.len() && self.src[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.src.get(self.pos).copied()
    }

    fn expr(&mut self) -> Result<Expr, FormulaError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("the formula nests too deeply"));
        }
        let mut left = self.term()?;
        while let Some(c @ (b'+' | b'-')) = self.peek() {
            self.pos += 1;
            let right = self.term()?;
            left = Expr::Binary(if c == b'+' { Op::Add } else { Op::Sub }, Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, FormulaError> {
        let mut left = self.unary()?;
        while let Some(c @ (b'*' | b'/')) = self.peek() {
            self.pos += 1;
            let right = self.unary()?;
            if c == b'/' && right == Expr::Number(0.0) {
                return Err(FormulaError::DivisionByZero);
            }
            left = Expr::Binary(if c == b'*' { Op::Mul } else { Op::Div }, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, FormulaError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.error("the formula nests too deeply"));
            }
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Neg(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, FormulaError> {
        match self.peek() {
            None => Err(self.error("the formula ends too early")),
            Some(b'(') => {
                self.pos += 1;
                let e = self.expr()?;
                if self.peek() != Some(b')') {
                    return Err(self.error("missing ')'"));
                }
                self.pos += 1;
                Ok(e)
            }
            Some(c) if c.is_ascii_digit() || c == b'.' => {
                let start = self.pos;
                while self.pos < self.src.len() && (self.src[self.pos].is_ascii_digit() || self.src[self.pos] == b'.') {
                    self.pos += 1;
                }
                let text = std::str::from_utf8(&self.src[start..self.pos]).expect("ascii");
                text.parse::<f64>().map(Expr::Number).map_err(|_| FormulaError::Syntax {
                    position: start + 1,
                    message: format!("'{text}' is not a number"),
                })
            }
            Some(c) if c.is_ascii_lowercase() => {
                let start = self.pos;
                while self.pos < self.src.len()
                    && (self.src[self.pos].is_ascii_lowercase()
                        || self.src[self.pos].is_ascii_digit()
                        || self.src[self.pos] == b'_')
                {
                    self.pos += 1;
                }
                let name = std::str::from_utf8(&self.src[start..self.pos]).expect("ascii").to_owned();
                if self.peek() == Some(b'(') {
                    let func = match name.as_str() {
                        "min" => Func::Min,
                        "max" => Func::Max,
                        "abs" => Func::Abs,
                        _ => {
                            return Err(FormulaError::Syntax {
                                position: start + 1,
                                message: format!("unknown function '{name}' (there are min, max and abs)"),
                            });
                        }
                    };
                    self.pos += 1;
                    let mut args = vec![self.expr()?];
                    while self.peek() == Some(b',') {
                        self.pos += 1;
                        args.push(self.expr()?);
                    }
                    if self.peek() != Some(b')') {
                        return Err(self.error("missing ')' after the function's arguments"));
                    }
                    self.pos += 1;
                    if func == Func::Abs && args.len() != 1 {
                        return Err(FormulaError::Syntax {
                            position: start + 1,
                            message: "abs takes one argument".into(),
                        });
                    }
                    return Ok(Expr::Call(func, args));
                }
                Ok(Expr::Name(name))
            }
            Some(c) => Err(self.error(&format!(
                "unexpected '{}': use KPI keys (lower-case, digits, '_'), numbers, + - * / and parentheses",
                c as char
            ))),
        }
    }
}

/// Refuses a formula for `kpi` reading `inputs` when some input already depends (through
/// other formulas) on `kpi`. `inputs_of` maps each derived KPI's key to the keys it reads.
pub fn check_no_cycle(
    kpi: &str,
    inputs: &BTreeSet<String>,
    inputs_of: &HashMap<String, Vec<String>>,
) -> Result<(), FormulaError> {
    fn walk(
        node: &str,
        target: &str,
        inputs_of: &HashMap<String, Vec<String>>,
        path: &mut Vec<String>,
        seen: &mut HashSet<String>,
    ) -> bool {
        if node == target {
            return true;
        }
        if !seen.insert(node.to_owned()) {
            return false;
        }
        for next in inputs_of.get(node).into_iter().flatten() {
            path.push(next.clone());
            if walk(next, target, inputs_of, path, seen) {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut seen = HashSet::new();
    for input in inputs {
        if input == kpi {
            return Err(FormulaError::SelfReference(kpi.to_owned()));
        }
        let mut path = vec![kpi.to_owned(), input.clone()];
        if walk(input, kpi, inputs_of, &mut path, &mut seen) {
            return Err(FormulaError::Cycle(path));
        }
    }
    Ok(())
}

/// Every KPI that reads `changed`, directly or through other formulas, ordered so each
/// comes after the KPIs it reads. `users_of` maps a key to the derived KPIs reading it.
pub fn dependents_in_order(changed: &str, users_of: &HashMap<String, Vec<String>>) -> Vec<String> {
    fn visit(n: &str, users_of: &HashMap<String, Vec<String>>, seen: &mut HashSet<String>, out: &mut Vec<String>) {
        for u in users_of.get(n).into_iter().flatten() {
            if seen.insert(u.clone()) {
                visit(u, users_of, seen, out);
                out.push(u.clone());
            }
        }
    }
    let mut out = Vec::new();
    visit(changed, users_of, &mut HashSet::new(), &mut out);
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(k: &str) -> Option<f64> {
        match k {
            "won" => Some(18.0),
            "qualified" => Some(72.0),
            "zero" => Some(0.0),
            _ => None,
        }
    }

    #[test]
    fn win_rate() {
        let f = Formula::parse("won / qualified * 100").unwrap();
        assert_eq!(f.eval(&values), Ok(25.0));
        assert_eq!(f.names().into_iter().collect::<Vec<_>>(), vec!["qualified", "won"]);
        assert_eq!(Formula::parse("-(won - 20) + max(1, 2, 3) * abs(-2)").unwrap().eval(&values), Ok(8.0));
        assert_eq!(Formula::parse("2 + 3 * 4").unwrap().eval(&values), Ok(14.0));
        assert_eq!(Formula::parse("(2 + 3) * 4").unwrap().eval(&values), Ok(20.0));
    }

    #[test]
    fn clear_errors() {
        assert_eq!(Formula::parse("won / zero").unwrap().eval(&values), Err(FormulaError::DivisionByZero));
        assert_eq!(Formula::parse("won / 0"), Err(FormulaError::DivisionByZero), "caught when written");
        assert_eq!(Formula::parse("won / lost").unwrap().eval(&values), Err(FormulaError::MissingValue("lost".into())));
        let f = Formula::parse("won / lost").unwrap();
        assert_eq!(f.check_names("rate", |k| values(k).is_some()), Err(FormulaError::UnknownName("lost".into())));
        assert_eq!(
            Formula::parse("rate + 1").unwrap().check_names("rate", |_| true),
            Err(FormulaError::SelfReference("rate".into()))
        );
        for bad in ["", "won +", "(won", "won qualified", "Won", "won # 2", "sqrt(won)", "1..2", "abs(1, 2)"] {
            assert!(matches!(Formula::parse(bad), Err(FormulaError::Syntax { .. })), "{bad}");
        }
        assert!(matches!(Formula::parse(&"(".repeat(100)), Err(FormulaError::Syntax { .. })));
        assert!(matches!(Formula::parse(&"-".repeat(100)), Err(FormulaError::Syntax { .. })));
        assert_eq!(Formula::parse(&"1+".repeat(600)), Err(FormulaError::TooLong(MAX_LEN)));
    }

    #[test]
    fn cycles_between_formulas() {
        let mut inputs_of = HashMap::new();
        inputs_of.insert("b".to_owned(), vec!["c".to_owned()]);
        inputs_of.insert("c".to_owned(), vec!["a".to_owned()]);
        let reads_b: BTreeSet<String> = ["b".to_owned()].into();
        assert_eq!(
            check_no_cycle("a", &reads_b, &inputs_of),
            Err(FormulaError::Cycle(vec!["a".into(), "b".into(), "c".into(), "a".into()]))
        );
        assert!(check_no_cycle("d", &reads_b, &inputs_of).is_ok());
        let mut users_of = HashMap::new();
        users_of.insert("a".to_owned(), vec!["c".to_owned(), "d".to_owned()]);
        users_of.insert("c".to_owned(), vec!["b".to_owned(), "d".to_owned()]);
        let order = dependents_in_order("a", &users_of);
        let pos = |k: &str| order.iter().position(|x| x == k).unwrap();
        assert_eq!(order.len(), 3);
        assert!(pos("c") < pos("b") && pos("c") < pos("d"));
    }

    proptest! {
        #[test]
        fn parser_never_panics(s in "[a-z0-9+*/() .,-]{0,40}") {
            let _ = Formula::parse(&s).map(|f| f.eval(&|_| Some(1.0)));
        }

        #[test]
        fn arithmetic_matches_rust(a in -1e6f64..1e6, b in -1e6f64..1e6, c in 1.0f64..1e3) {
            let f = Formula::parse(&format!("({a}) + ({b}) * ({c}) - ({a}) / ({c})")).unwrap();
            let want = a + b * c - a / c;
            prop_assert!((f.eval(&|_| None).unwrap() - want).abs() <= 1e-9 * (1.0 + want.abs()));
        }
    }
}
