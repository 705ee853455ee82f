package io.segpool.jmh.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/** A horizontal grouped bar chart in plain SVG: one group per method, one bar per size, log-scale x axis. */
final class Chart {

    private static final String[] COLOURS = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1"};
    private static final int LEFT = 230;
    private static final int WIDTH = 900;
    private static final int BAR = 9;

    private Chart() {
    }

    static String svg(List<Report.Row> rows, String title) {
        List<String> sizes = new ArrayList<>(new TreeSet<>(rows.stream().map(r -> Integer.parseInt(r.size())).toList())
                .stream().map(String::valueOf).toList());
        Map<String, Map<String, Double>> groups = new LinkedHashMap<>();
        for (Report.Row row : rows) {
            groups.computeIfAbsent(row.method(), k -> new LinkedHashMap<>()).put(row.size(), row.score());
        }
        double min = rows.stream().mapToDouble(Report.Row::score).min().orElse(1);
        double max = rows.stream().mapToDouble(Report.Row::score).max().orElse(10);
        double lo = Math.pow(10, Math.floor(Math.log10(Math.max(min, 0.1))));
        double hi = Math.pow(10, Math.ceil(Math.log10(max)));
        int groupHeight = sizes.size() * BAR + 8;
        int height = 60 + groups.size() * groupHeight + 40;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"11\">%n", WIDTH + 40, height));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"18\" font-size=\"14\">%s</text>%n", escape(title)));
        for (double tick = lo; tick <= hi * 1.001; tick *= 10) {
            double x = x(tick, lo, hi);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"40\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s ns</text>%n", x, x, height - 30, x, height - 15,
                    tick >= 1 ? String.valueOf((long) tick) : String.valueOf(tick)));
        }
        int y = 50;
        for (var group : groups.entrySet()) {
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", LEFT - 6,
                    y + groupHeight / 2, escape(group.getKey())));
            for (int s = 0; s < sizes.size(); s++) {
                Double score = group.getValue().get(sizes.get(s));
                if (score != null) {
                    double x = x(score, lo, hi);
                    svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
                                    + "<title>%s %s B: %.1f ns</title></rect>%n", LEFT, y + s * BAR, Math.max(1, x - LEFT),
                            BAR - 1, COLOURS[s % COLOURS.length], escape(group.getKey()), sizes.get(s), score));
                }
            }
            y += groupHeight;
        }
        for (int s = 0; s < sizes.size(); s++) {
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"26\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"35\">%s B</text>%n", LEFT + s * 80, COLOURS[s % COLOURS.length], LEFT + s * 80 + 14,
                    sizes.get(s)));
        }
        return svg.append("</svg>\n").toString();
    }

    private static double x(double value, double lo, double hi) {
        double fraction = (Math.log10(Math.max(value, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
        return LEFT + fraction * (WIDTH - LEFT);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
