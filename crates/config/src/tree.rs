//! Statements and blocks: the structure of the language, before any keyword is interpreted.
//! `words ... ;` is a statement; `words ... { ... }` is a block. Inside `[ ]` and `( )` a brace
//! is an ordinary token (ExaBGP's `as-path [ 1 { 2 3 } ]` confederation form).

use crate::error::{ParseError, Pos};
use crate::lexer::{Token, TokenKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The tokens, without the terminating `;`. Never empty.
    pub tokens: Vec<Token>,
    /// Where the statement ends (its `;`, or the `}` that closed it).
    pub end: Pos,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The words before `{` (`neighbor 127.0.0.1`, `route name`, `match`). Never empty.
    pub header: Vec<Token>,
    pub body: Vec<Node>,
    /// The position of the closing `}`.
    pub close: Pos,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Statement(Statement),
    Block(Block),
}

impl Node {
    pub fn first(&self) -> &Token {
        match self {
            Node::Statement(s) => &s.tokens[0],
            Node::Block(b) => &b.header[0],
        }
    }

    pub fn pos(&self) -> Pos {
        self.first().pos
    }

    pub fn keyword(&self) -> String {
        self.first().text.to_ascii_lowercase()
    }
}

/// Builds the tree of a whole file.
pub fn build(tokens: &[Token]) -> Result<Vec<Node>, ParseError> {
    let mut i = 0;
    let (nodes, close) = build_body(tokens, &mut i, 0)?;
    if let Some(close) = close {
        return Err(ParseError::expected(
            close,
            "a statement or a block ('}' closes no block here)",
            "'}'",
        ));
    }
    Ok(nodes)
}

const MAX_DEPTH: usize = 64;

/// Reads nodes until a `}` at this level (returning its position) or the end of input (None).
fn build_body(
    tokens: &[Token],
    i: &mut usize,
    depth: usize,
) -> Result<(Vec<Node>, Option<Pos>), ParseError> {
    let mut nodes = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    // Open brackets and parentheses of the current statement.
    let mut nesting: Vec<&Token> = Vec::new();
    while *i < tokens.len() {
        let t = &tokens[*i];
        *i += 1;
        if !nesting.is_empty() {
            match t.kind {
                TokenKind::LBracket | TokenKind::LParen => nesting.push(t),
                TokenKind::RBracket | TokenKind::RParen => {
                    let open = nesting.pop().map(|o| o.kind);
                    let matches = matches!(
                        (open, t.kind),
                        (Some(TokenKind::LBracket), TokenKind::RBracket)
                            | (Some(TokenKind::LParen), TokenKind::RParen)
                    );
                    if !matches {
                        let want = if open == Some(TokenKind::LBracket) {
                            "']'"
                        } else {
                            "')'"
                        };
                        return Err(ParseError::expected(t.pos, want, t.describe()));
                    }
                }
                TokenKind::Semicolon => {
                    let open = nesting[nesting.len() - 1];
                    return Err(ParseError::expected(
                        t.pos,
                        format!(
                            "'{}' to close the list opened at {}",
                            if open.kind == TokenKind::LBracket {
                                ']'
                            } else {
                                ')'
                            },
                            open.pos
                        ),
                        "';'",
                    ));
                }
                _ => {}
            }
            current.push(t.clone());
            continue;
        }
        match t.kind {
            TokenKind::Semicolon => {
                if !current.is_empty() {
                    nodes.push(Node::Statement(Statement {
                        tokens: std::mem::take(&mut current),
                        end: t.pos,
                    }));
                }
            }
            TokenKind::LBrace => {
                if current.is_empty() {
                    return Err(ParseError::expected(t.pos, "a keyword before '{'", "'{'"));
                }
                if depth >= MAX_DEPTH {
                    return Err(ParseError::invalid(t.pos, "blocks are nested too deeply"));
                }
                let header = std::mem::take(&mut current);
                let (body, close) = build_body(tokens, i, depth + 1)?;
                let Some(close) = close else {
                    return Err(ParseError::Lexical {
                        pos: t.pos,
                        message: format!(
                            "expected '}}' to close the '{}' block opened here, found end of file",
                            header[0].text
                        ),
                    });
                };
                nodes.push(Node::Block(Block {
                    header,
                    body,
                    close,
                }));
            }
            TokenKind::RBrace => {
                // ExaBGP tolerates a missing ';' before '}'.
                if !current.is_empty() {
                    nodes.push(Node::Statement(Statement {
                        tokens: std::mem::take(&mut current),
                        end: t.pos,
                    }));
                }
                return Ok((nodes, Some(t.pos)));
            }
            TokenKind::LBracket | TokenKind::LParen => {
                nesting.push(t);
                current.push(t.clone());
            }
            TokenKind::RBracket | TokenKind::RParen => {
                return Err(ParseError::expected(
                    t.pos,
                    "a value (this bracket closes nothing)",
                    t.describe(),
                ));
            }
            TokenKind::Word | TokenKind::Quoted => current.push(t.clone()),
        }
    }
    if let Some(open) = nesting.first() {
        return Err(ParseError::Lexical {
            pos: open.pos,
            message: "this list is never closed (found end of file)".into(),
        });
    }
    if let Some(first) = current.first() {
        let last = &current[current.len() - 1];
        return Err(ParseError::expected(
            last.pos,
            format!("';' after '{}'", first.text),
            "end of file",
        ));
    }
    Ok((nodes, None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::tokenize;

    fn tree(s: &str) -> Result<Vec<Node>, ParseError> {
        build(&tokenize(s)?)
    }

    #[test]
    fn blocks_and_statements() {
        let t = tree("neighbor 1.2.3.4 { hold-time 3; family { ipv4 unicast; } }").unwrap();
        assert_eq!(t.len(), 1);
        let Node::Block(b) = &t[0] else { panic!() };
        assert_eq!(b.header.len(), 2);
        assert_eq!(b.body.len(), 2);
    }

    #[test]
    fn braces_inside_lists_are_tokens() {
        let t = tree("as-path [ 1 { 2 3 } ];").unwrap();
        let Node::Statement(s) = &t[0] else { panic!() };
        assert_eq!(s.tokens.len(), 8);
    }

    #[test]
    fn missing_semicolon_before_close_is_tolerated() {
        let t = tree("a { b c }").unwrap();
        let Node::Block(b) = &t[0] else { panic!() };
        assert_eq!(b.body.len(), 1);
    }

    #[test]
    fn errors_have_positions() {
        let e = tree("neighbor x {\n  hold-time 3;\n").unwrap_err();
        assert_eq!(e.pos(), Pos::new(1, 12));
        let e = tree("a b;\n}").unwrap_err();
        assert_eq!(e.pos(), Pos::new(2, 1));
        let e = tree("a [ b ;").unwrap_err();
        assert_eq!(e.pos(), Pos::new(1, 7));
        let e = tree("x {\n a b").unwrap_err();
        assert_eq!(e.pos(), Pos::new(2, 4));
    }
}
