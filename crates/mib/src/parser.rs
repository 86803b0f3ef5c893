//! Forgiving recursive-descent parser from tokens to per-module ASTs.
//!
//! The parser understands only what the index needs and skips the rest. On a
//! syntax error it records a problem with the line number and resynchronises at
//! the next plausible definition start, so one broken definition costs only
//! that definition.

use crate::lexer::{Kind, Token, lex};

/// One component of an OID value: `name`, `42` or `name(42)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OidComp {
    pub(crate) name: Option<String>,
    pub(crate) number: Option<u32>,
}

/// A SYNTAX clause or the right-hand side of a type assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawType {
    Integer,
    OctetString,
    ObjectIdentifier,
    Bits,
    Sequence,
    SequenceOf(String),
    Choice,
    Named(String),
}

/// Parsed syntax: base plus named numbers (enumerations or BITS labels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawSyntax {
    pub(crate) ty: RawType,
    pub(crate) enums: Vec<(String, i64)>,
    /// The SIZE constraint: `None` without one, `Some(Some(n))` for exactly one
    /// fixed size `(SIZE (n))`, `Some(None)` for ranges or alternatives.
    pub(crate) size: Option<Option<u32>>,
    /// Whether the SIZE constraint lists alternatives (`SIZE (0|4|16)`).
    pub(crate) size_alternatives: bool,
    /// The SIZE or value constraint as `(low, high)` items (`(0..255)`,
    /// `(0 | 4 | 16)`); empty without one or when it is not plain numbers.
    pub(crate) ranges: Vec<(i64, i64)>,
}

/// Which macro (or plain OBJECT IDENTIFIER) defined a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// `x OBJECT IDENTIFIER ::= { ... }`.
    ObjectIdentifier,
    /// MODULE-IDENTITY.
    ModuleIdentity,
    /// OBJECT-IDENTITY.
    ObjectIdentity,
    /// OBJECT-TYPE.
    ObjectType,
    /// NOTIFICATION-TYPE.
    NotificationType,
    /// TRAP-TYPE (SMIv1); the OID is `enterprise.0.specific`.
    TrapType,
    /// OBJECT-GROUP.
    ObjectGroup,
    /// NOTIFICATION-GROUP.
    NotificationGroup,
    /// MODULE-COMPLIANCE.
    ModuleCompliance,
    /// AGENT-CAPABILITIES.
    AgentCapabilities,
    /// Built in to the loader (`iso`, `internet`, ... when no module defines it).
    Builtin,
}

impl NodeKind {
    fn from_macro(word: &str) -> Option<Self> {
        Some(match word {
            "MODULE-IDENTITY" => Self::ModuleIdentity,
            "OBJECT-IDENTITY" => Self::ObjectIdentity,
            "OBJECT-TYPE" => Self::ObjectType,
            "NOTIFICATION-TYPE" => Self::NotificationType,
            "TRAP-TYPE" => Self::TrapType,
            "OBJECT-GROUP" => Self::ObjectGroup,
            "NOTIFICATION-GROUP" => Self::NotificationGroup,
            "MODULE-COMPLIANCE" => Self::ModuleCompliance,
            "AGENT-CAPABILITIES" => Self::AgentCapabilities,
            _ => return None,
        })
    }
}

/// A value definition with an OID.
#[derive(Debug, Clone)]
pub(crate) struct RawDef {
    pub(crate) name: String,
    pub(crate) line: u32,
    pub(crate) kind: NodeKind,
    pub(crate) value: Vec<OidComp>,
    pub(crate) syntax: Option<RawSyntax>,
    pub(crate) access: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) index: Vec<(String, bool)>,
    pub(crate) augments: Option<String>,
    pub(crate) objects: Vec<String>,
    pub(crate) units: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) defval: Option<String>,
}

/// A type assignment (`Foo ::= ...`), textual convention or not.
#[derive(Debug, Clone)]
pub(crate) struct RawTypeDef {
    pub(crate) name: String,
    pub(crate) is_tc: bool,
    pub(crate) display_hint: Option<String>,
    pub(crate) syntax: RawSyntax,
}

/// One parsed module.
#[derive(Debug, Clone)]
pub(crate) struct RawModule {
    pub(crate) name: String,
    pub(crate) line: u32,
    pub(crate) imports: Vec<(String, String)>,
    pub(crate) defs: Vec<RawDef>,
    pub(crate) types: Vec<RawTypeDef>,
}

/// A parse problem: line, module (if known) and message.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub(crate) line: u32,
    pub(crate) module: Option<String>,
    pub(crate) message: String,
}

/// Parses every module in `src`; DESCRIPTION texts are kept only when asked for
/// (they are most of a MIB's text and only `translate -Td` shows them).
pub(crate) fn parse(src: &str, descriptions: bool) -> (Vec<RawModule>, Vec<Problem>) {
    let (tokens, lex_problems) = lex(src);
    let mut p = Parser {
        toks: tokens,
        pos: 0,
        problems: lex_problems
            .into_iter()
            .map(|l| Problem {
                line: l.line,
                module: None,
                message: l.message,
            })
            .collect(),
        module: None,
        descriptions,
    };
    let mut modules = Vec::new();
    while p.pos < p.toks.len() {
        match p.find_module_header() {
            Some((name, line)) => {
                p.module = Some(name.clone());
                let m = p.module_body(name, line);
                modules.push(m);
                p.module = None;
            }
            None => break,
        }
    }
    (modules, p.problems)
}

type PResult<T> = Result<T, (u32, String)>;

struct Parser<'a> {
    toks: Vec<Token<'a>>,
    pos: usize,
    problems: Vec<Problem>,
    module: Option<String>,
    descriptions: bool,
}

const MAX_NUMBER: u64 = u32::MAX as u64;

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Token<'a>> {
        self.toks.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<Token<'a>> {
        self.toks.get(self.pos + n).copied()
    }

    fn line(&self) -> u32 {
        self.peek()
            .or_else(|| self.toks.last().copied())
            .map_or(0, |t| t.line)
    }

    fn bump(&mut self) -> Option<Token<'a>> {
        let t = self.peek();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn is_kind(&self, kind: Kind) -> bool {
        self.peek().is_some_and(|t| t.kind == kind)
    }

    fn is_word(&self, word: &str) -> bool {
        self.peek()
            .is_some_and(|t| t.kind == Kind::Ident && t.text == word)
    }

    fn eat_kind(&mut self, kind: Kind) -> bool {
        if self.is_kind(kind) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.is_word(word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn err<T>(&self, msg: impl Into<String>) -> PResult<T> {
        Err((self.line(), msg.into()))
    }

    fn expect_kind(&mut self, kind: Kind, what: &str) -> PResult<Token<'a>> {
        match self.peek() {
            Some(t) if t.kind == kind => {
                self.pos += 1;
                Ok(t)
            }
            Some(t) => self.err(format!("expected {what}, found `{}`", t.text)),
            None => self.err(format!("expected {what}, found end of file")),
        }
    }

    fn ident(&mut self, what: &str) -> PResult<&'a str> {
        Ok(self.expect_kind(Kind::Ident, what)?.text)
    }

    fn problem(&mut self, line: u32, message: String) {
        self.problems.push(Problem {
            line,
            module: self.module.clone(),
            message,
        });
    }

    /// Scans forward for `Name DEFINITIONS ... ::= BEGIN`.
    fn find_module_header(&mut self) -> Option<(String, u32)> {
        while let Some(t) = self.peek() {
            if t.kind == Kind::Ident
                && self
                    .peek_at(1)
                    .is_some_and(|n| n.kind == Kind::Ident && n.text == "DEFINITIONS")
            {
                self.pos += 2;
                // Tolerate `DEFINITIONS IMPLICIT TAGS ::= BEGIN` and similar.
                while let Some(n) = self.peek() {
                    if n.kind == Kind::Assign {
                        break;
                    }
                    self.pos += 1;
                }
                self.eat_kind(Kind::Assign);
                if !self.eat_word("BEGIN") {
                    self.problems.push(Problem {
                        line: self.line(),
                        module: Some(t.text.to_owned()),
                        message: "expected BEGIN after module header".to_owned(),
                    });
                }
                return Some((t.text.to_owned(), t.line));
            }
            // Anything before a module header is ignored.
            self.pos += 1;
        }
        None
    }

    fn module_body(&mut self, name: String, line: u32) -> RawModule {
        let mut m = RawModule {
            name,
            line,
            imports: Vec::new(),
            defs: Vec::new(),
            types: Vec::new(),
        };
        loop {
            let Some(t) = self.peek() else {
                self.problem(self.line(), "module has no END".to_owned());
                return m;
            };
            if t.kind == Kind::Ident && t.text == "END" {
                self.pos += 1;
                return m;
            }
            if t.kind == Kind::Ident
                && self
                    .peek_at(1)
                    .is_some_and(|n| n.kind == Kind::Ident && n.text == "DEFINITIONS")
            {
                self.problem(t.line, "module has no END".to_owned());
                return m;
            }
            let start = self.pos;
            if let Err((line, msg)) = self.statement(&mut m) {
                self.problem(line, msg);
                self.recover(start);
            }
        }
    }

    /// Skips to the next token that plausibly starts a definition.
    fn recover(&mut self, start: usize) {
        if self.pos <= start {
            self.pos = start + 1;
        }
        while let Some(t) = self.peek() {
            if t.kind == Kind::Ident {
                if t.text == "END" {
                    return;
                }
                if let Some(n) = self.peek_at(1) {
                    let starts = (n.kind == Kind::Ident
                        && (NodeKind::from_macro(n.text).is_some()
                            || n.text == "MACRO"
                            || n.text == "DEFINITIONS"
                            || (n.text == "OBJECT"
                                && self.peek_at(2).is_some_and(|x| x.text == "IDENTIFIER"))))
                        || (n.kind == Kind::Assign
                            && t.text.starts_with(|c: char| c.is_ascii_uppercase()));
                    if starts {
                        return;
                    }
                }
            }
            self.pos += 1;
        }
    }

    fn statement(&mut self, m: &mut RawModule) -> PResult<()> {
        if self.eat_word("IMPORTS") {
            return self.imports(m);
        }
        if self.eat_word("EXPORTS") {
            while let Some(t) = self.bump() {
                if t.kind == Kind::Semi {
                    break;
                }
            }
            return Ok(());
        }
        let name_tok = self.expect_kind(Kind::Ident, "a definition")?;
        let name = name_tok.text;
        let line = name_tok.line;
        let Some(next) = self.peek() else {
            return self.err("unexpected end of file");
        };
        if next.kind == Kind::Ident && next.text == "MACRO" {
            // Skip the macro body up to its END.
            while let Some(t) = self.bump() {
                if t.kind == Kind::Ident && t.text == "END" {
                    return Ok(());
                }
            }
            return Err((line, format!("MACRO {name} has no END")));
        }
        if next.kind == Kind::Assign {
            self.pos += 1;
            return self.type_assignment(m, name);
        }
        if next.kind == Kind::Ident && next.text == "OBJECT" {
            self.pos += 1;
            if !self.eat_word("IDENTIFIER") {
                return self.err("expected IDENTIFIER after OBJECT");
            }
            self.expect_kind(Kind::Assign, "`::=`")?;
            let value = self.oid_value()?;
            m.defs
                .push(RawDef::new(name, line, NodeKind::ObjectIdentifier, value));
            return Ok(());
        }
        if next.kind == Kind::Ident
            && let Some(kind) = NodeKind::from_macro(next.text)
        {
            self.pos += 1;
            let def = self.macro_value(name, line, kind)?;
            m.defs.push(def);
            return Ok(());
        }
        // Some other value assignment (`foo INTEGER ::= 3`): skip it.
        if name.starts_with(|c: char| c.is_ascii_lowercase()) {
            self.parse_syntax()?;
            self.expect_kind(Kind::Assign, "`::=`")?;
            if self.is_kind(Kind::LBrace) {
                self.skip_balanced()?;
            } else {
                self.bump();
            }
            return Ok(());
        }
        Err((line, format!("unexpected `{}` after `{name}`", next.text)))
    }

    fn imports(&mut self, m: &mut RawModule) -> PResult<()> {
        let mut pending: Vec<&str> = Vec::new();
        loop {
            let Some(t) = self.bump() else {
                return self.err("IMPORTS not terminated by `;`");
            };
            match t.kind {
                Kind::Semi => break,
                Kind::Comma => {}
                Kind::Ident if t.text == "FROM" => {
                    let from = self.ident("module name after FROM")?;
                    for s in pending.drain(..) {
                        m.imports.push((s.to_owned(), from.to_owned()));
                    }
                }
                Kind::Ident => {
                    if t.text == "END" && pending.is_empty() {
                        // Missing `;` right before the module end.
                        self.pos -= 1;
                        return self.err("IMPORTS not terminated by `;`");
                    }
                    pending.push(t.text);
                }
                _ => return Err((t.line, format!("unexpected `{}` in IMPORTS", t.text))),
            }
        }
        if !pending.is_empty() {
            return self.err("imported symbols without FROM");
        }
        Ok(())
    }

    fn type_assignment(&mut self, m: &mut RawModule, name: &str) -> PResult<()> {
        if self.eat_word("TEXTUAL-CONVENTION") {
            let mut hint = None;
            let mut syntax = None;
            while !self.is_kind(Kind::Assign) {
                let Some(t) = self.bump() else {
                    return self.err("TEXTUAL-CONVENTION without SYNTAX");
                };
                if t.kind == Kind::Ident && t.text == "DISPLAY-HINT" {
                    hint = Some(self.expect_kind(Kind::Str, "a DISPLAY-HINT string")?.text);
                } else if t.kind == Kind::Ident && t.text == "SYNTAX" {
                    syntax = Some(self.parse_syntax()?);
                    break;
                }
            }
            let Some(syntax) = syntax else {
                return self.err(format!("TEXTUAL-CONVENTION {name} has no SYNTAX"));
            };
            m.types.push(RawTypeDef {
                name: name.to_owned(),
                is_tc: true,
                display_hint: hint.map(str::to_owned),
                syntax,
            });
            return Ok(());
        }
        let syntax = self.parse_syntax()?;
        m.types.push(RawTypeDef {
            name: name.to_owned(),
            is_tc: false,
            display_hint: None,
            syntax,
        });
        Ok(())
    }

    /// Parses the clauses of a macro invocation and its `::= value`.
    fn macro_value(&mut self, name: &str, line: u32, kind: NodeKind) -> PResult<RawDef> {
        let mut def = RawDef::new(name, line, kind, Vec::new());
        let mut enterprise: Option<String> = None;
        loop {
            let Some(t) = self.peek() else {
                return self.err(format!("{name}: missing `::=`"));
            };
            match t.kind {
                Kind::Assign => {
                    self.pos += 1;
                    break;
                }
                Kind::Ident => {
                    self.pos += 1;
                    match t.text {
                        "SYNTAX" if def.syntax.is_none() && kind == NodeKind::ObjectType => {
                            def.syntax = Some(self.parse_syntax()?);
                        }
                        "MAX-ACCESS" | "ACCESS" if kind == NodeKind::ObjectType => {
                            def.access = Some(self.ident("an access value")?.to_owned());
                        }
                        "STATUS" => def.status = Some(self.ident("a status value")?.to_owned()),
                        "DESCRIPTION" if self.descriptions && self.is_kind(Kind::Str) => {
                            def.description = self.bump().map(|t| t.text.to_owned());
                        }
                        "UNITS" if kind == NodeKind::ObjectType && self.is_kind(Kind::Str) => {
                            def.units = self.bump().map(|t| t.text.to_owned());
                        }
                        "INDEX" if kind == NodeKind::ObjectType => {
                            self.expect_kind(Kind::LBrace, "`{` after INDEX")?;
                            loop {
                                let implied = self.eat_word("IMPLIED");
                                let n = self.ident("an INDEX object")?;
                                def.index.push((n.to_owned(), implied));
                                if self.eat_kind(Kind::RBrace) {
                                    break;
                                }
                                self.expect_kind(Kind::Comma, "`,` or `}` in INDEX")?;
                            }
                        }
                        "AUGMENTS" if kind == NodeKind::ObjectType => {
                            self.expect_kind(Kind::LBrace, "`{` after AUGMENTS")?;
                            def.augments = Some(self.ident("an AUGMENTS entry")?.to_owned());
                            self.expect_kind(Kind::RBrace, "`}` after AUGMENTS")?;
                        }
                        "OBJECTS" | "VARIABLES" | "NOTIFICATIONS"
                            if matches!(
                                kind,
                                NodeKind::NotificationType
                                    | NodeKind::TrapType
                                    | NodeKind::ObjectGroup
                                    | NodeKind::NotificationGroup
                            ) =>
                        {
                            def.objects = self.name_list()?;
                        }
                        "ENTERPRISE" if kind == NodeKind::TrapType => {
                            if self.is_kind(Kind::LBrace) {
                                let v = self.oid_value()?;
                                enterprise = v.last().and_then(|c| c.name.clone());
                            } else {
                                enterprise = Some(self.ident("an ENTERPRISE name")?.to_owned());
                            }
                        }
                        "DEFVAL" => {
                            if self.is_kind(Kind::LBrace) {
                                let start = self.pos;
                                self.skip_balanced()?;
                                if self.descriptions {
                                    def.defval = Some(defval_text(
                                        self.toks.get(start..self.pos).unwrap_or(&[]),
                                    ));
                                }
                            }
                        }
                        _ => {
                            if self.peek().is_some_and(|n| {
                                n.kind == Kind::Ident
                                    && (NodeKind::from_macro(n.text).is_some()
                                        || n.text == "OBJECT"
                                            && self
                                                .peek_at(1)
                                                .is_some_and(|x| x.text == "IDENTIFIER"))
                            }) && t.text.starts_with(|c: char| c.is_ascii_lowercase())
                            {
                                return Err((t.line, format!("{name}: missing `::=` value")));
                            }
                        }
                    }
                }
                Kind::LBrace => self.skip_balanced()?,
                _ => self.pos += 1,
            }
        }
        if kind == NodeKind::TrapType {
            let n = self.number("a trap number")?;
            let Some(ent) = enterprise else {
                return Err((line, format!("TRAP-TYPE {name} has no ENTERPRISE")));
            };
            def.value = vec![
                OidComp {
                    name: Some(ent),
                    number: None,
                },
                OidComp {
                    name: None,
                    number: Some(0),
                },
                OidComp {
                    name: None,
                    number: Some(n),
                },
            ];
        } else {
            def.value = self.oid_value()?;
        }
        Ok(def)
    }

    fn number(&mut self, what: &str) -> PResult<u32> {
        match self.peek() {
            Some(Token {
                kind: Kind::Num(n), ..
            }) if n <= MAX_NUMBER => {
                self.pos += 1;
                Ok(u32::try_from(n).unwrap_or(u32::MAX))
            }
            Some(t) => self.err(format!("expected {what}, found `{}`", t.text)),
            None => self.err(format!("expected {what}, found end of file")),
        }
    }

    /// `{ a, b, c }` (commas optional).
    fn name_list(&mut self) -> PResult<Vec<String>> {
        self.expect_kind(Kind::LBrace, "`{`")?;
        let mut out = Vec::new();
        loop {
            let Some(t) = self.bump() else {
                return self.err("unterminated `{`");
            };
            match t.kind {
                Kind::RBrace => return Ok(out),
                Kind::Comma => {}
                Kind::Ident => out.push(t.text.to_owned()),
                _ => return Err((t.line, format!("unexpected `{}` in list", t.text))),
            }
        }
    }

    /// `{ parent 3 }`, `{ iso org(3) dod(6) 1 }`.
    fn oid_value(&mut self) -> PResult<Vec<OidComp>> {
        self.expect_kind(Kind::LBrace, "`{` starting an OID value")?;
        let mut comps = Vec::new();
        loop {
            let Some(t) = self.bump() else {
                return self.err("unterminated OID value");
            };
            match t.kind {
                Kind::RBrace => break,
                Kind::Comma => {}
                Kind::Num(n) if n <= MAX_NUMBER => comps.push(OidComp {
                    name: None,
                    number: u32::try_from(n).ok(),
                }),
                Kind::Ident => {
                    let mut name = t.text;
                    // `Module.name` references.
                    if self.is_kind(Kind::Dot)
                        && self.peek_at(1).is_some_and(|n| n.kind == Kind::Ident)
                    {
                        self.pos += 1;
                        name = self.ident("a name")?;
                    }
                    let mut number = None;
                    if self.eat_kind(Kind::LParen) {
                        number = Some(self.number("an arc number")?);
                        self.expect_kind(Kind::RParen, "`)`")?;
                    }
                    comps.push(OidComp {
                        name: Some(name.to_owned()),
                        number,
                    });
                }
                _ => {
                    return Err((t.line, format!("unexpected `{}` in OID value", t.text)));
                }
            }
        }
        if comps.is_empty() {
            return self.err("empty OID value");
        }
        Ok(comps)
    }

    /// Skips a balanced `{ ... }`, `( ... )` or `[ ... ]` group.
    fn skip_balanced(&mut self) -> PResult<()> {
        let start = self.line();
        let mut depth = 0i32;
        while let Some(t) = self.bump() {
            match t.kind {
                Kind::LBrace | Kind::LParen | Kind::LBracket => depth += 1,
                Kind::RBrace | Kind::RParen | Kind::RBracket => {
                    depth -= 1;
                    if depth <= 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        Err((start, "unbalanced brackets".to_owned()))
    }

    /// Parses a type: tags, base type, named numbers and constraints.
    fn parse_syntax(&mut self) -> PResult<RawSyntax> {
        if self.is_kind(Kind::LBracket) {
            self.skip_balanced()?;
        }
        while self.eat_word("IMPLICIT") || self.eat_word("EXPLICIT") {}
        let t = self.ident("a type")?;
        let ty = match t {
            "INTEGER" => RawType::Integer,
            "OCTET" => {
                if !self.eat_word("STRING") {
                    return self.err("expected STRING after OCTET");
                }
                RawType::OctetString
            }
            "OBJECT" => {
                if !self.eat_word("IDENTIFIER") {
                    return self.err("expected IDENTIFIER after OBJECT");
                }
                RawType::ObjectIdentifier
            }
            "BITS" => RawType::Bits,
            "SEQUENCE" => {
                if self.eat_word("OF") {
                    RawType::SequenceOf(self.ident("a type after SEQUENCE OF")?.to_owned())
                } else {
                    self.skip_balanced()?;
                    RawType::Sequence
                }
            }
            "CHOICE" => {
                self.skip_balanced()?;
                RawType::Choice
            }
            other => RawType::Named(other.to_owned()),
        };
        let mut enums = Vec::new();
        if self.is_kind(Kind::LBrace) && !matches!(ty, RawType::Sequence | RawType::Choice) {
            enums = self.named_numbers()?;
        }
        let mut size = None;
        let mut size_alternatives = false;
        let mut ranges = Vec::new();
        while self.is_kind(Kind::LParen) {
            let start = self.pos;
            self.skip_balanced()?;
            let group = self.toks.get(start..self.pos).unwrap_or(&[]);
            if ranges.is_empty() {
                ranges = range_items(group);
            }
            if group
                .get(1)
                .is_some_and(|t| t.kind == Kind::Ident && t.text == "SIZE")
            {
                size_alternatives = group.iter().any(|t| t.kind == Kind::Pipe);
                // `( SIZE ( n ) )`: exactly six tokens for one fixed size
                size = Some(match group {
                    [_, _, _, n, _, _] => match n.kind {
                        Kind::Num(v) => u32::try_from(v).ok(),
                        _ => None,
                    },
                    _ => None,
                });
            }
        }
        Ok(RawSyntax {
            ty,
            enums,
            size,
            size_alternatives,
            ranges,
        })
    }

    /// `{ up(1), down(2) }`, tolerating missing commas.
    fn named_numbers(&mut self) -> PResult<Vec<(String, i64)>> {
        self.expect_kind(Kind::LBrace, "`{`")?;
        let mut out = Vec::new();
        loop {
            let Some(t) = self.bump() else {
                return self.err("unterminated enumeration");
            };
            match t.kind {
                Kind::RBrace => return Ok(out),
                Kind::Comma => {}
                Kind::Ident => {
                    self.expect_kind(Kind::LParen, "`(` in enumeration")?;
                    let v = match self.bump() {
                        Some(Token {
                            kind: Kind::Num(n), ..
                        }) => i64::try_from(n).unwrap_or(i64::MAX),
                        Some(Token {
                            kind: Kind::Neg(n), ..
                        }) => n,
                        _ => return self.err("expected a number in enumeration"),
                    };
                    self.expect_kind(Kind::RParen, "`)` in enumeration")?;
                    out.push((t.text.to_owned(), v));
                }
                _ => return Err((t.line, format!("unexpected `{}` in enumeration", t.text))),
            }
        }
    }
}

/// A DEFVAL group as net-snmp's `-Td` prints it: tokens separated by spaces,
/// strings in escaped quotes, `'..'H` / `'..'B` literals as decimal numbers.
fn defval_text(group: &[Token<'_>]) -> String {
    let words: Vec<String> = group
        .iter()
        .map(|t| match t.kind {
            Kind::Str => format!("\\\"{}\\\"", t.text),
            Kind::Quoted => {
                let body = t.text.strip_prefix('\'').unwrap_or(t.text);
                let (digits, radix) = match body.rsplit_once('\'') {
                    Some((d, "H" | "h")) => (d, 16),
                    Some((d, "B" | "b")) => (d, 2),
                    _ => return t.text.to_owned(),
                };
                if digits.is_empty() {
                    return "0".to_owned();
                }
                u64::from_str_radix(digits, radix)
                    .map_or_else(|_| t.text.to_owned(), |v| v.to_string())
            }
            _ => t.text.to_owned(),
        })
        .collect();
    words.join(" ")
}

/// `(a..b | c)` or `(SIZE (a..b | c))` as items; empty when anything else is in
/// the group (MIN, MAX, hex literals), since a partial list would mislead.
fn range_items(group: &[Token<'_>]) -> Vec<(i64, i64)> {
    let inner: Vec<&Token<'_>> = group
        .iter()
        .filter(|t| {
            let bracket = matches!(t.kind, Kind::LParen | Kind::RParen);
            let size = t.kind == Kind::Ident && t.text == "SIZE";
            !(bracket || size)
        })
        .collect();
    let mut out = Vec::new();
    let num = |t: &Token<'_>| match t.kind {
        Kind::Num(n) => i64::try_from(n).ok(),
        Kind::Neg(n) => Some(n),
        // 'FFFFFFFF'h
        Kind::Quoted => {
            let body = t.text.strip_prefix('\'')?;
            let (digits, radix) = match body.rsplit_once('\'')? {
                (d, "H" | "h") => (d, 16),
                (d, "B" | "b") => (d, 2),
                _ => return None,
            };
            i64::from_str_radix(digits, radix).ok()
        }
        _ => None,
    };
    for item in inner.split(|t| t.kind == Kind::Pipe) {
        let item = match item {
            [a] => num(a).map(|a| (a, a)),
            [a, dots, b] if dots.kind == Kind::DotDot => num(a).zip(num(b)),
            _ => None,
        };
        match item {
            Some(r) => out.push(r),
            None => return Vec::new(),
        }
    }
    out
}

impl RawDef {
    fn new(name: &str, line: u32, kind: NodeKind, value: Vec<OidComp>) -> Self {
        Self {
            name: name.to_owned(),
            line,
            kind,
            value,
            syntax: None,
            access: None,
            status: None,
            index: Vec::new(),
            augments: None,
            objects: Vec::new(),
            units: None,
            description: None,
            defval: None,
        }
    }
}
