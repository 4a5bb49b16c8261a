# What `cmake --install` puts where (Debian layout with CMAKE_INSTALL_PREFIX=/usr), and the
# .deb CPack builds from it: the binary, the systemd unit with its sysusers and tmpfiles
# files, the man page, the docs and the example procedures with their letters.
include(GNUInstallDirs)

install(TARGETS complaintd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
# Under the prefix: /usr/lib/systemd/system and friends, which systemd searches whether or
# not /lib is merged into /usr (it is on Debian 12; the documentation names these paths).
install(FILES systemd/complaintd.service DESTINATION lib/systemd/system)
install(FILES systemd/complaintd.sysusers DESTINATION lib/sysusers.d RENAME complaintd.conf)
install(FILES systemd/complaintd.tmpfiles DESTINATION lib/tmpfiles.d RENAME complaintd.conf)
install(FILES man/complaintd.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES README.md docs/CONFIG.md docs/OPERATIONS.md docs/ARCHITECTURE.md docs/REPLIES.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
        PATTERN "demo" EXCLUDE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME complaintd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "complaintd maintainers <maintainers@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Mail gateway that runs complaints procedures")
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The postinst runs systemd-sysusers and systemd-tmpfiles (dpkg-shlibdeps only finds
# libsystemd0); the standalone packages are what systemd-less systems install instead.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd | systemd-standalone-sysusers, systemd | systemd-standalone-tmpfiles")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Create the user and the state directory on install, as systemd packages do.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/systemd/debian/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
