package io.rayzerocopy.bench;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

/**
 * The benchmarks measure what a user can build: they use no internal class. Checked here, not by
 * connector/cli's ArchitectureTest, because this module is built after the CLI (it implements the
 * CLI's {@code Benchmarks}), so its classes do not exist yet when the CLI's tests run.
 */
class PublicApiOnlyTest {
    @Test
    void theBenchmarksUseNoInternalClass() {
        noClasses()
                .that()
                .resideInAPackage("io.rayzerocopy.bench..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.rayzerocopy.internal..")
                .check(
                        new ClassFileImporter()
                                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                                .importPath(Path.of("target/classes")));
    }
}
