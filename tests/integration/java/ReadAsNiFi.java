/*
 * Reads a flow file as NiFi 2.x does (nifi-api's RegisteredFlowSnapshot, Jackson with the settings
 * of NiFi's JacksonFlowSnapshotSerializer, and unknown fields refused) and prints it back, then a NUL,
 * then the same text pretty-printed by Jackson as a tree: test_registry_git.py compares both with ours.
 */
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.nifi.registry.flow.RegisteredFlowSnapshot;

public class ReadAsNiFi {
    public static void main(String[] args) throws Exception {
        String text = Files.readString(Path.of(args[0]));
        ObjectMapper nifi = JsonMapper.builder()
            .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        out.print(nifi.writeValueAsString(nifi.readValue(text, RegisteredFlowSnapshot.class)));
        out.print('\0');
        out.print(nifi.writeValueAsString(nifi.readTree(text)));
    }
}
