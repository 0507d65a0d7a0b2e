package io.github.vaultdatasource;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The packages form layers without cycles: the root package holds value types and the shared
 * vocabulary and depends on no other package of the library; {@code event} and {@code vault} sit
 * on it; {@code lease} (the engine) on those; {@code jdbc} implements the engine's
 * {@code CredentialsTarget}; {@code health}, {@code metrics} and {@code actuate} observe the engine;
 * {@code autoconfigure} wires everything and nothing depends on it.
 */
class PackageLayeringTests {

	private static final String ROOT = "io.github.vaultdatasource";

	// Imported once for all rules: only the library's own compiled classes. Classes they use from
	// other libraries stay unresolved stubs (archunit.properties), which the rules need no more of
	// than their package names.
	private static final JavaClasses CLASSES = new ClassFileImporter()
		.withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
		.withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
		.importPackages(ROOT);

	@Test
	void packagesHaveNoCycles() {
		slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(CLASSES);
	}

	@Test
	void theRootPackageDependsOnNoOtherPackageOfTheLibrary() {
		noClasses().that()
			.resideInAPackage(ROOT)
			.should()
			.dependOnClassesThat()
			.resideInAPackage(ROOT + ".*..")
			.check(CLASSES);
	}

	@Test
	void onlyTheAutoConfigurationDependsOnTheAutoConfiguration() {
		noClasses().that()
			.resideOutsideOfPackage(ROOT + ".autoconfigure..")
			.should()
			.dependOnClassesThat()
			.resideInAPackage(ROOT + ".autoconfigure..")
			.check(CLASSES);
	}

	@Test
	void theEngineKnowsNoPoolHealthMetricsOrEndpoint() {
		noClasses().that()
			.resideInAnyPackage(ROOT + ".lease..", ROOT + ".vault..", ROOT + ".event..")
			.should()
			.dependOnClassesThat()
			.resideInAnyPackage(ROOT + ".jdbc..", ROOT + ".health..", ROOT + ".metrics..", ROOT + ".actuate..")
			.check(CLASSES);
	}

	@Test
	void theVaultClientKnowsNoEngine() {
		noClasses().that()
			.resideInAPackage(ROOT + ".vault..")
			.should()
			.dependOnClassesThat()
			.resideInAnyPackage(ROOT + ".lease..", ROOT + ".event..")
			.check(CLASSES);
	}

}
