package dev.reflex.dev;

import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import dev.reflex.cli.CommandPlugin;

@Command(
        name = "demo-service",
        mixinStandardHelpOptions = true,
        description = {
            "Run the tour's stand-in service manager on its own (the compose file runs it beside the engine).",
            "POST /services/{name}/restart answers 200 and prints what it did. Not for production."
        })
final class DemoServiceCommand implements Callable<Integer> {
    /** Adds {@code reflex demo-service} to the command line when this artifact is on the class path. */
    public static final class Plugin implements CommandPlugin {
        @Override
        public Object command() {
            return new DemoServiceCommand();
        }
    }

    @Option(
            names = "--host",
            paramLabel = "HOST",
            defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(
            names = "--port",
            paramLabel = "PORT",
            defaultValue = "8090",
            description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @Override
    public Integer call() throws Exception {
        DemoService service = DemoService.start(System.out, new InetSocketAddress(host, port));
        System.out.println(
                "stand-in service manager listening on http://" + host + ":" + port + "/services/{name}/restart");
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            service.close();
                            stop.countDown();
                        },
                        "demo-service-stop"));
        stop.await();
        return 0;
    }
}
