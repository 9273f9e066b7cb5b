package io.rayzerocopy.internal.data;

import io.rayzerocopy.ParquetReadOptions.PartitionType;

import java.io.Serializable;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A filter over partition columns, parsed from a small expression language: comparisons of a
 * column with literals ({@code =, !=, <>, <, <=, >, >=}, {@code [NOT] IN (...)}, {@code IS [NOT]
 * NULL}) joined by {@code AND}, {@code OR}, {@code NOT} and parentheses. Literals: numbers,
 * {@code 'text'} (a quote doubled inside), {@code DATE 'yyyy-MM-dd'}. Not SQL: there are no
 * functions, arithmetic or data columns. A comparison with a null value is unknown (SQL's
 * three-valued logic), and a partition is read only if the whole filter is true.
 *
 * <p>{@link #parse} checks the syntax; {@link #bind} checks columns and literal types against the
 * input's partition columns and gives the expression to evaluate. Immutable.
 */
public final class PartitionExpression implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String text;
    private final Node root;

    private PartitionExpression(String text, Node root) {
        this.text = text;
        this.root = root;
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException naming the position and what was expected
     */
    public static PartitionExpression parse(String text) {
        Parser parser = new Parser(text);
        Node root = parser.or();
        parser.expectEnd();
        return new PartitionExpression(text, root);
    }

    /**
     * This expression with every column checked against {@code partitions} and its literals
     * converted to the columns' types, ready for {@link #keep}.
     *
     * @throws IllegalArgumentException naming the column and the fix, if a column is not a
     *     partition column or a literal does not fit its type
     */
    public PartitionExpression bind(Partitions partitions) {
        return new PartitionExpression(text, root.bind(partitions));
    }

    /**
     * Whether the partition with {@code values} (by column name) is read; for a {@link #bind
     * bound} expression.
     */
    public boolean keep(Map<String, Object> values) {
        return Boolean.TRUE.equals(root.eval(values));
    }

    @Override
    public String toString() {
        return text;
    }

    private static IllegalArgumentException error(String message) {
        return new IllegalArgumentException(SettingNames.WHERE + ": " + message);
    }

    /** A node of the expression; {@code eval} gives TRUE, FALSE or null (unknown). */
    private interface Node extends Serializable {
        Node bind(Partitions partitions);

        Boolean eval(Map<String, Object> values);
    }

    private record Not(Node inner) implements Node {
        public Node bind(Partitions partitions) {
            return new Not(inner.bind(partitions));
        }

        public Boolean eval(Map<String, Object> values) {
            Boolean v = inner.eval(values);
            return v == null ? null : !v;
        }
    }

    private record Logic(boolean and, Node left, Node right) implements Node {
        public Node bind(Partitions partitions) {
            return new Logic(and, left.bind(partitions), right.bind(partitions));
        }

        public Boolean eval(Map<String, Object> values) {
            Boolean a = left.eval(values);
            Boolean b = right.eval(values);
            if (and) {
                return Boolean.FALSE.equals(a) || Boolean.FALSE.equals(b)
                        ? Boolean.FALSE
                        : a == null || b == null ? null : Boolean.TRUE;
            }
            return Boolean.TRUE.equals(a) || Boolean.TRUE.equals(b)
                    ? Boolean.TRUE
                    : a == null || b == null ? null : Boolean.FALSE;
        }
    }

    private record IsNull(String column, boolean negated) implements Node {
        public Node bind(Partitions partitions) {
            Comparison.columnOf(partitions, column);
            return this;
        }

        public Boolean eval(Map<String, Object> values) {
            return (values.get(column) == null) != negated;
        }
    }

    /**
     * {@code column op literal}, or {@code column [NOT] IN (literals)} with op {@code IN}; {@code
     * bound} holds the literals as values of the column's type once bound.
     */
    private record Comparison(
            String column, String op, List<Literal> literals, List<Comparable<Object>> bound)
            implements Node {

        static Partitions.Column columnOf(Partitions partitions, String column) {
            Partitions.Column found = partitions.column(column);
            if (found == null) {
                throw error(
                        "'"
                                + column
                                + "' is not a partition column"
                                + (partitions.isEmpty()
                                        ? " (the input has no name=value directories)"
                                        : "; the partition columns are "
                                                + partitions.columns().stream()
                                                        .map(Partitions.Column::name)
                                                        .toList())
                                + ": filter on partition columns only");
            }
            return found;
        }

        @Override
        public Node bind(Partitions partitions) {
            PartitionType type = columnOf(partitions, column).type();
            List<Comparable<Object>> values = new ArrayList<>();
            for (Literal literal : literals) {
                values.add(literal.as(type, column));
            }
            return new Comparison(column, op, literals, List.copyOf(values));
        }

        @Override
        public Boolean eval(Map<String, Object> values) {
            Object value = values.get(column);
            if (value == null) {
                return null;
            }
            @SuppressWarnings("unchecked")
            Comparable<Object> v = (Comparable<Object>) value;
            if (op.equals("IN") || op.equals("NOT IN")) {
                boolean in = bound.stream().anyMatch(b -> v.compareTo(b) == 0);
                return in != op.equals("NOT IN");
            }
            int c = v.compareTo(bound.get(0));
            return switch (op) {
                case "=" -> c == 0;
                case "!=", "<>" -> c != 0;
                case "<" -> c < 0;
                case "<=" -> c <= 0;
                case ">" -> c > 0;
                default -> c >= 0;
            };
        }
    }

    /** A literal as written: a number, a quoted text, or a date. */
    private record Literal(String text, char kind) implements Serializable {
        static final char NUMBER = 'n';
        static final char STRING = 's';
        static final char DATE = 'd';

        @SuppressWarnings("unchecked")
        Comparable<Object> as(PartitionType type, String column) {
            Object value =
                    switch (type) {
                        case INT -> integral(column, type, true);
                        case LONG -> integral(column, type, false);
                        case DOUBLE -> number(column, type).doubleValue();
                        case DATE -> date(column);
                        case STRING -> string(column);
                    };
            return (Comparable<Object>) value;
        }

        private Object integral(String column, PartitionType type, boolean isInt) {
            BigDecimal n = number(column, type);
            try {
                return isInt ? (Object) n.intValueExact() : (Object) n.longValueExact();
            } catch (ArithmeticException e) {
                throw mismatch(column, type, "a whole number in its range");
            }
        }

        private BigDecimal number(String column, PartitionType type) {
            if (kind != NUMBER) {
                throw mismatch(column, type, "a number without quotes");
            }
            return new BigDecimal(text);
        }

        private LocalDate date(String column) {
            if (kind == NUMBER) {
                throw mismatch(column, PartitionType.DATE, "DATE 'yyyy-MM-dd' or 'yyyy-MM-dd'");
            }
            try {
                return Partitions.parseDate(text);
            } catch (IllegalArgumentException | DateTimeParseException e) {
                throw mismatch(column, PartitionType.DATE, "a date written 'yyyy-MM-dd'");
            }
        }

        private String string(String column) {
            if (kind != STRING) {
                throw mismatch(column, PartitionType.STRING, "a quoted text such as '" + text + "'");
            }
            return text;
        }

        private IllegalArgumentException mismatch(String column, PartitionType type, String fix) {
            return error(
                    "partition column '"
                            + column
                            + "' is "
                            + Partitions.name(type)
                            + " but is compared with "
                            + this
                            + "; write "
                            + fix);
        }

        @Override
        public String toString() {
            return switch (kind) {
                case NUMBER -> text;
                case DATE -> "DATE '" + text + "'";
                default -> "'" + text.replace("'", "''") + "'";
            };
        }
    }

    /** Recursive descent over the text; tokens are read on demand. */
    private static final class Parser {
        private final String text;
        private int pos;

        Parser(String text) {
            this.text = text;
        }

        Node or() {
            Node node = and();
            while (keyword("OR")) {
                node = new Logic(false, node, and());
            }
            return node;
        }

        Node and() {
            Node node = not();
            while (keyword("AND")) {
                node = new Logic(true, node, not());
            }
            return node;
        }

        Node not() {
            if (keyword("NOT")) {
                return new Not(not());
            }
            if (symbol("(")) {
                Node inner = or();
                expect(")");
                return inner;
            }
            return comparison();
        }

        Node comparison() {
            String column = identifier();
            if (keyword("IS")) {
                boolean negated = keyword("NOT");
                if (!keyword("NULL")) {
                    throw syntax("NULL after IS");
                }
                return new IsNull(column, negated);
            }
            boolean negated = keyword("NOT");
            if (keyword("IN")) {
                expect("(");
                List<Literal> literals = new ArrayList<>();
                do {
                    literals.add(literal());
                } while (symbol(","));
                expect(")");
                return new Comparison(column, negated ? "NOT IN" : "IN", literals, List.of());
            }
            if (negated) {
                throw syntax("IN after NOT");
            }
            for (String op : new String[] {"<=", ">=", "!=", "<>", "=", "<", ">"}) {
                if (symbol(op)) {
                    return new Comparison(column, op, List.of(literal()), List.of());
                }
            }
            throw syntax("a comparison (=, !=, <, <=, >, >=, IN, IS NULL) after '" + column + "'");
        }

        Literal literal() {
            skipSpace();
            if (keyword("NULL")) {
                throw error(
                        "comparing with NULL is never true: write 'column IS NULL' or 'column IS"
                                + " NOT NULL'");
            }
            if (keyword("DATE")) {
                skipSpace();
                if (pos >= text.length() || text.charAt(pos) != '\'') {
                    throw syntax("a quoted date after DATE, e.g. DATE '2026-12-01'");
                }
                return new Literal(quoted(), Literal.DATE);
            }
            if (pos < text.length() && text.charAt(pos) == '\'') {
                return new Literal(quoted(), Literal.STRING);
            }
            int start = pos;
            if (pos < text.length() && (text.charAt(pos) == '-' || text.charAt(pos) == '+')) {
                pos++;
            }
            while (pos < text.length()
                    && (Character.isDigit(text.charAt(pos))
                            || ".eE".indexOf(text.charAt(pos)) >= 0
                            || (pos > start && "+-".indexOf(text.charAt(pos)) >= 0
                                    && "eE".indexOf(text.charAt(pos - 1)) >= 0))) {
                pos++;
            }
            String number = text.substring(start, pos);
            try {
                new BigDecimal(number);
            } catch (NumberFormatException e) {
                pos = start;
                throw syntax("a literal: a number, 'text' or DATE 'yyyy-MM-dd'");
            }
            return new Literal(number, Literal.NUMBER);
        }

        private String quoted() {
            StringBuilder out = new StringBuilder();
            pos++;
            while (pos < text.length()) {
                char c = text.charAt(pos++);
                if (c == '\'') {
                    if (pos < text.length() && text.charAt(pos) == '\'') {
                        out.append('\'');
                        pos++;
                        continue;
                    }
                    return out.toString();
                }
                out.append(c);
            }
            throw syntax("a closing quote");
        }

        private String identifier() {
            skipSpace();
            if (pos < text.length() && text.charAt(pos) == '`') {
                int end = text.indexOf('`', pos + 1);
                if (end < 0) {
                    throw syntax("a closing backquote");
                }
                String name = text.substring(pos + 1, end);
                pos = end + 1;
                return name;
            }
            int start = pos;
            while (pos < text.length()
                    && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
                pos++;
            }
            if (start == pos) {
                throw syntax("a partition column name");
            }
            return text.substring(start, pos);
        }

        private boolean keyword(String word) {
            skipSpace();
            int end = pos + word.length();
            if (end <= text.length()
                    && text.substring(pos, end).toUpperCase(Locale.ROOT).equals(word)
                    && (end == text.length()
                            || !(Character.isLetterOrDigit(text.charAt(end))
                                    || text.charAt(end) == '_'))) {
                pos = end;
                return true;
            }
            return false;
        }

        private boolean symbol(String symbol) {
            skipSpace();
            if (text.startsWith(symbol, pos)) {
                pos += symbol.length();
                return true;
            }
            return false;
        }

        private void expect(String symbol) {
            if (!symbol(symbol)) {
                throw syntax("'" + symbol + "'");
            }
        }

        void expectEnd() {
            skipSpace();
            if (pos < text.length()) {
                throw syntax("AND, OR or the end");
            }
        }

        private void skipSpace() {
            while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
                pos++;
            }
        }

        private IllegalArgumentException syntax(String expected) {
            return error(
                    "expected "
                            + expected
                            + " at position "
                            + (pos + 1)
                            + " of \""
                            + text
                            + "\""
                            + (pos < text.length() ? " (found '" + text.substring(pos) + "')" : ""));
        }
    }
}
