package dev.reflex.connectors.timer;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.config.ConfigException;

import dev.reflex.admin.SettingPrefix;

/**
 * The timer connector's settings: its schedules, {@code timer.schedule.<name>=<cron>}, from a settings file or
 * {@code --set} as well as {@code reflex connect timer --schedule NAME=CRON}.
 */
public final class TimerSettings {
    public static final String SCHEDULE_PREFIX = "timer.schedule.";

    /** The families of settings named by a prefix. */
    public static final List<SettingPrefix> PREFIXES = List.of(new SettingPrefix(
            SCHEDULE_PREFIX,
            SCHEDULE_PREFIX + "<name>",
            "A schedule: a timer.tick event with subject <name> "
                    + "at each time of a 5-field cron expression in UTC (0 2 * * *) or @every 30s|5m|1h. Every replica emits the same "
                    + "id for the same tick, so the engine acts on each tick once."));

    private TimerSettings() {}

    /** The schedules among {@code settings}, by name; a bad one is a {@link ConfigException} naming the setting. */
    public static Map<String, Schedule> schedules(Map<String, ?> settings) {
        Map<String, Schedule> schedules = new TreeMap<>();
        settings.forEach((key, value) -> {
            if (key.startsWith(SCHEDULE_PREFIX)) {
                String name = key.substring(SCHEDULE_PREFIX.length());
                try {
                    schedules.put(name, Schedule.parse(String.valueOf(value)));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(key, value, e.getMessage());
                }
            }
        });
        return schedules;
    }
}
