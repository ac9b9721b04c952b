package dev.reflex.engine;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Sums of Prometheus text series over several scrapes, by series name with its labels as printed. */
final class MetricSums {
    private MetricSums() {}

    static Map<String, Double> of(List<String> scrapes, List<String> series) {
        Map<String, Double> sums = new HashMap<>();
        for (String scrape : scrapes) {
            for (String line : scrape.split("\\n")) {
                int space = line.lastIndexOf(' ');
                if (line.startsWith("#") || space < 0) {
                    continue;
                }
                String name = line.substring(0, space);
                if (series.contains(name)) {
                    sums.merge(name, Double.parseDouble(line.substring(space + 1)), Double::sum);
                }
            }
        }
        return sums;
    }
}
