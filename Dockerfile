# Reflex images, from the Maven build's artifacts: run ./mvnw -DskipTests package first.
#   docker build -t reflex .                      the production image: the reflex command (engine, connectors,
#                                                 actors, rules, acls), no broker or registry
#   docker build --target demo -t reflex-demo .   adds reflex dev and the tour's stand-in service
# BASE_IMAGE is any image with a Java 17+ runtime on PATH and /bin/sh.
ARG BASE_IMAGE=eclipse-temurin:17-jre

FROM ${BASE_IMAGE} AS reflex
COPY cli/target/lib/ /opt/reflex/lib/
COPY cli/target/reflex-cli.jar /opt/reflex/reflex-cli.jar
COPY docker/reflex /usr/local/bin/reflex
# Local state (Kafka Streams stores) lives on a volume; everything else is read-only but /tmp, where the JVM and
# RocksDB unpack native libraries: with a read-only root filesystem, mount a writable /tmp.
RUN mkdir -p /var/lib/reflex/state && chown -R 10001:10001 /var/lib/reflex
ENV HOME=/tmp \
    REFLEX_STATE_DIR=/var/lib/reflex/state \
    REFLEX_ADMIN_HOST=0.0.0.0
USER 10001:10001
WORKDIR /tmp
VOLUME ["/var/lib/reflex"]
ENTRYPOINT ["reflex"]
CMD ["--help"]

FROM reflex AS demo
COPY dev/target/lib/ /opt/reflex/lib/
COPY dev/target/reflex-dev.jar /opt/reflex/reflex-dev.jar

# the default target: the production image
FROM reflex
