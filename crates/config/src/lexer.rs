//! The tokenizer: words, quoted strings, the punctuation `{ } [ ] ( ) ;`, with the position
//! of each token. `#` at the start of a token begins a comment to the end of the line; a
//! backslash at the end of a line continues the statement on the next one (ExaBGP allows both).

use nom::branch::alt;
use nom::bytes::complete::{take_till, take_while, take_while1};
use nom::character::complete::{char, line_ending, one_of, space0};
use nom::combinator::{eof, recognize, value};
use nom::sequence::{pair, preceded};
use nom::{IResult, Parser};

use crate::error::{ParseError, Pos};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A bare word: `neighbor`, `10.0.0.0/24`, `target:65000:1`, `=80`.
    Word,
    /// A string in double or single quotes; the text is without the quotes.
    Quoted,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Semicolon,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Token {
    pub kind: TokenKind,
    pub text: String,
    pub pos: Pos,
}

impl Token {
    pub fn is(&self, kind: TokenKind) -> bool {
        self.kind == kind
    }

    /// A word (or quoted string) with this text, compared without regard to case.
    pub fn is_word(&self, word: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(word)
    }

    /// How to show the token in an error message.
    pub fn describe(&self) -> String {
        match self.kind {
            TokenKind::Quoted => format!("\"{}\"", self.text),
            _ => format!("'{}'", self.text),
        }
    }
}

fn is_special(c: char) -> bool {
    matches!(c, '{' | '}' | '[' | ']' | '(' | ')' | ';' | '"' | '\'')
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !is_special(c) && c != '\\'
}

#[derive(Clone)]
enum Piece<'a> {
    Skip,
    Token(TokenKind, &'a str),
}

/// `\` then optional blanks then end of line (or of input): a line continuation.
fn continuation(i: &str) -> IResult<&str, Piece<'_>> {
    value(Piece::Skip, (char('\\'), space0, alt((line_ending, eof)))).parse(i)
}

fn blank(i: &str) -> IResult<&str, Piece<'_>> {
    value(Piece::Skip, take_while1(|c: char| c.is_whitespace())).parse(i)
}

fn comment(i: &str) -> IResult<&str, Piece<'_>> {
    value(Piece::Skip, preceded(char('#'), take_till(|c| c == '\n'))).parse(i)
}

fn punctuation(i: &str) -> IResult<&str, Piece<'_>> {
    let (rest, c) = one_of("{}[]();").parse(i)?;
    let kind = match c {
        '{' => TokenKind::LBrace,
        '}' => TokenKind::RBrace,
        '[' => TokenKind::LBracket,
        ']' => TokenKind::RBracket,
        '(' => TokenKind::LParen,
        ')' => TokenKind::RParen,
        _ => TokenKind::Semicolon,
    };
    Ok((rest, Piece::Token(kind, &i[..1])))
}

fn quoted(i: &str) -> IResult<&str, Piece<'_>> {
    let (rest, open) = one_of("\"'").parse(i)?;
    let (rest, body) = take_till(|c| c == open).parse(rest)?;
    let (rest, _) = char(open).parse(rest)?;
    Ok((rest, Piece::Token(TokenKind::Quoted, body)))
}

/// A word; a backslash that does not end the line is an ordinary character of it.
fn word(i: &str) -> IResult<&str, Piece<'_>> {
    let (rest, w) = recognize(pair(
        alt((take_while1(is_word_char), recognize(char('\\')))),
        take_while(|c: char| is_word_char(c) || c == '\\'),
    ))
    .parse(i)?;
    Ok((rest, Piece::Token(TokenKind::Word, w)))
}

/// Maps byte offsets to line and column.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    pub(crate) fn pos(&self, offset: usize) -> Pos {
        let line = match self.starts.binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l - 1,
        };
        let start = self.starts[line];
        let column = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        Pos::new(line as u32 + 1, column as u32 + 1)
    }
}

/// Splits `text` into tokens.
pub fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let index = LineIndex::new(text);
    let mut tokens = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let offset = text.len() - rest.len();
        let parsed = alt((blank, continuation, comment, punctuation, quoted, word)).parse(rest);
        match parsed {
            Ok((next, piece)) => {
                if let Piece::Token(kind, t) = piece {
                    tokens.push(Token {
                        kind,
                        text: t.to_string(),
                        pos: index.pos(offset),
                    });
                }
                rest = next;
            }
            Err(_) => {
                let pos = index.pos(offset);
                let message = if rest.starts_with(['"', '\'']) {
                    "unterminated quoted string (expected a closing quote)".to_string()
                } else {
                    format!(
                        "unexpected character '{}'",
                        rest.chars().next().unwrap_or(' ')
                    )
                };
                return Err(ParseError::Lexical { pos, message });
            }
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenKind, String, u32, u32)> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, t.text, t.pos.line, t.pos.column))
            .collect()
    }

    #[test]
    fn words_punctuation_and_positions() {
        let t = kinds("neighbor 10.0.0.1 {\n\thold-time 180;\n}");
        assert_eq!(t[0], (TokenKind::Word, "neighbor".into(), 1, 1));
        assert_eq!(t[1], (TokenKind::Word, "10.0.0.1".into(), 1, 10));
        assert_eq!(t[2], (TokenKind::LBrace, "{".into(), 1, 19));
        assert_eq!(t[3], (TokenKind::Word, "hold-time".into(), 2, 2));
        assert_eq!(t[5], (TokenKind::Semicolon, ";".into(), 2, 15));
        assert_eq!(t[6].0, TokenKind::RBrace);
    }

    #[test]
    fn comments_strings_continuations() {
        let t = kinds("description \"a # b\"; # comment\nvpls \\\n  rd 1:1 \\\n;");
        let texts: Vec<&str> = t.iter().map(|x| x.1.as_str()).collect();
        assert_eq!(
            texts,
            ["description", "a # b", ";", "vpls", "rd", "1:1", ";"]
        );
        assert_eq!(t[1].0, TokenKind::Quoted);
        assert_eq!((t[4].2, t[4].3), (3, 3));
    }

    #[test]
    fn lists_and_operators() {
        let t = kinds("port [ >8080&<8088 =3128];tcp-flags [SYN RST&FIN&!=push];");
        let texts: Vec<&str> = t.iter().map(|x| x.1.as_str()).collect();
        assert_eq!(
            texts,
            [
                "port",
                "[",
                ">8080&<8088",
                "=3128",
                "]",
                ";",
                "tcp-flags",
                "[",
                "SYN",
                "RST&FIN&!=push",
                "]",
                ";"
            ]
        );
    }

    #[test]
    fn unterminated_string_has_position() {
        let e = tokenize("a;\n  description \"oops;\n").unwrap_err();
        assert_eq!(e.pos(), Pos::new(2, 15));
        assert!(e.to_string().contains("unterminated"));
    }

    #[test]
    fn hash_inside_word_is_not_a_comment() {
        let t = kinds("md5-password ab#cd;");
        assert_eq!(t[1].1, "ab#cd");
    }
}
