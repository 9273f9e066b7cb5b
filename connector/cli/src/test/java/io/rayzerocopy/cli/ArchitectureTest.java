package io.rayzerocopy.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.properties.HasName;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.freeze.FreezingArchRule;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The architecture of docs/architecture.md as rules over the compiled classes of every module.
 * Rules that today's code does not meet yet are frozen (ArchUnit's {@link FreezingArchRule}): the
 * violations that exist are listed in {@code archunit-store/} and only a new one fails, so the
 * list can only shrink; a violation that is fixed leaves the store by itself.
 */
class ArchitectureTest {
    /** Core's machinery: what engines, the CLI, examples and benchmarks must not use. */
    private static final String[] CORE_INTERNALS = {"io.rayzerocopy.internal.."};

    private static final String[] OUTSIDE_CORE = {
        "io.rayzerocopy.cli..", "io.rayzerocopy.ray..", "io.rayzerocopy.spark..",
        "io.rayzerocopy.examples..", "io.rayzerocopy.bench.."
    };

    private static JavaClasses all;

    @BeforeAll
    static void importModules() {
        ClassFileImporter importer =
                new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS);
        List<Path> dirs =
                List.of("connector/core", "connector/ray", "connector/spark", "connector/cli",
                                "examples", "benchmarks")
                        .stream()
                        .map(m -> Path.of("../..").resolve(m).resolve("target/classes"))
                        .filter(Files::isDirectory)
                        .toList();
        all = importer.importPaths(dirs);
    }

    /**
     * Frozen per top-level class, not per call: a class already on the list may change, a new class
     * that reaches into core's machinery fails.
     */
    @Test
    void enginesTheCliExamplesAndBenchmarksUseOnlyThePublicApiAndSpi() {
        ArchRule rule =
                classes()
                        .that()
                        .resideInAnyPackage(OUTSIDE_CORE)
                        .should(useNoCoreInternals())
                        .as("engines, the CLI, examples and benchmarks use only the public API");
        FreezingArchRule.freeze(rule).check(all);
    }

    private static ArchCondition<JavaClass> useNoCoreInternals() {
        DescribedPredicate<JavaClass> internal =
                JavaClass.Predicates.resideInAnyPackage(CORE_INTERNALS);
        return new ArchCondition<>("use no class of core's internal packages") {
            @Override
            public void check(JavaClass type, ConditionEvents events) {
                boolean uses =
                        type.getDirectDependenciesFromSelf().stream()
                                .anyMatch(d -> internal.test(d.getTargetClass()));
                if (uses) {
                    JavaClass top = type;
                    while (top.getEnclosingClass().isPresent()) {
                        top = top.getEnclosingClass().get();
                    }
                    events.add(
                            SimpleConditionEvent.violated(
                                    type, top.getName() + " uses core's internal classes"));
                }
            }
        };
    }

    @Test
    void coreKnowsNoEngineNorTheCli() {
        noClasses()
                .that()
                .resideInAnyPackage(
                        "io.rayzerocopy", "io.rayzerocopy.spi..", "io.rayzerocopy.internal..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(OUTSIDE_CORE)
                .check(all);
    }

    /**
     * An engine written against the SPI never meets an internal type: no public or protected
     * member of {@code io.rayzerocopy.spi} takes, returns or is one.
     */
    @Test
    void theSpiExposesNoInternalType() {
        DescribedPredicate<JavaClass> internal =
                JavaClass.Predicates.resideInAnyPackage(CORE_INTERNALS);
        members()
                .that()
                .areDeclaredInClassesThat()
                .resideInAPackage("io.rayzerocopy.spi..")
                .should(
                        new ArchCondition<JavaMember>("have no internal type in their signature") {
                            @Override
                            public void check(JavaMember member, ConditionEvents events) {
                                Set<JavaModifier> modifiers = member.getModifiers();
                                if (!modifiers.contains(JavaModifier.PUBLIC)
                                        && !modifiers.contains(JavaModifier.PROTECTED)) {
                                    return;
                                }
                                List<JavaClass> types = new ArrayList<>();
                                if (member instanceof JavaCodeUnit unit) {
                                    types.add(unit.getRawReturnType());
                                    types.addAll(unit.getRawParameterTypes());
                                } else if (member instanceof JavaField field) {
                                    types.add(field.getRawType());
                                }
                                for (JavaClass type : types) {
                                    if (internal.test(type)) {
                                        events.add(
                                                SimpleConditionEvent.violated(
                                                        member,
                                                        member.getFullName()
                                                                + " exposes "
                                                                + type.getName()));
                                    }
                                }
                            }
                        })
                .check(all);
    }

    /** docs/engines.md shows the threads runtime as an engine written against the SPI alone. */
    @Test
    void theThreadsRuntimeUsesOnlyTheSpi() {
        String threads = "io\\.rayzerocopy\\.internal\\.exec\\.ThreadRuntime.*";
        noClasses()
                .that()
                .haveNameMatching(threads)
                .should()
                .dependOnClassesThat(
                        JavaClass.Predicates.resideInAnyPackage(CORE_INTERNALS)
                                .and(DescribedPredicate.not(HasName.Predicates.nameMatching(threads))))
                .check(all);
    }

    @Test
    void internalCodeNeverCallsTheFacadesEntryPoints() {
        noClasses()
                .that()
                .resideInAnyPackage(CORE_INTERNALS)
                .should()
                .dependOnClassesThat()
                .haveFullyQualifiedName("io.rayzerocopy.Dataset")
                .orShould()
                .dependOnClassesThat()
                .haveFullyQualifiedName("io.rayzerocopy.ModelWrapper")
                .check(all);
    }

    @Test
    void publicTypesUsersImplementExtendNoInternalType() {
        ArchRule rule =
                classes()
                        .that()
                        .resideInAnyPackage("io.rayzerocopy", "io.rayzerocopy.ray", "io.rayzerocopy.spark")
                        .and()
                        .arePublic()
                        .should()
                        .notBeAssignableTo(
                                JavaClass.Predicates.resideInAnyPackage(CORE_INTERNALS))
                        .as("public API types extend or implement no internal type");
        FreezingArchRule.freeze(rule).check(all);
    }

    @Test
    void corePackagesHaveNoCycles() {
        ArchRule rule =
                slices().matching("io.rayzerocopy.internal.(*)..")
                        .should()
                        .beFreeOfCycles()
                        .as("core's internal packages have no cycles");
        FreezingArchRule.freeze(rule).check(all);
    }
}
